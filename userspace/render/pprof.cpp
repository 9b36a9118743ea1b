#include "render/pprof.h"

#include <zlib.h>

#include <limits>
#include <unordered_map>

#include "render/frames.h"
#include "render/profile.pb.h"

namespace stprof {
namespace {

namespace pb = perftools::profiles;

class StringTable {
 public:
  explicit StringTable(pb::Profile& message) : message_(message) { (*this)(""); }
  int64_t operator()(const std::string& text) {
    std::string valid = valid_utf8(text);  // proto3 strings must be UTF-8
    auto [it, inserted] = index_.emplace(valid, message_.string_table_size());
    if (inserted) message_.add_string_table(valid);
    return it->second;
  }

 private:
  pb::Profile& message_;
  std::unordered_map<std::string, int64_t> index_;
};

Error zlib_error(const std::string& call, int status) {
  return make_error("zlib: " + call + " failed: " + zError(status));
}

}  // namespace

pb::Profile pprof_message(const Profile& profile) {
  pb::Profile message;
  StringTable string(message);
  auto value_type = [&](pb::ValueType* type, const char* name, const char* unit) {
    type->set_type(string(name));
    type->set_unit(string(unit));
  };
  bool wall = profile.mode == ProfileMode::kWall;
  // The first value is Profile::value, the second the on-CPU part of it.
  value_type(message.add_sample_type(), wall ? "wall" : "samples", wall ? "nanoseconds" : "count");
  value_type(message.add_sample_type(), "cpu", "nanoseconds");
  value_type(message.mutable_period_type(), wall ? "wall" : "cpu", "nanoseconds");
  message.set_period(static_cast<int64_t>(profile.sample_period_ns()));
  if (wall) message.set_default_sample_type(string("wall"));
  message.set_duration_nanos(static_cast<int64_t>(profile.duration_seconds * 1e9));

  for (size_t i = 0; i < profile.functions.size(); i++) {
    pb::Function* function = message.add_function();
    function->set_id(i + 1);
    function->set_name(string(profile.strings[profile.functions[i].name]));
    function->set_system_name(function->name());
    function->set_filename(string(profile.strings[profile.functions[i].file]));
  }
  for (size_t i = 0; i < profile.locations.size(); i++) {
    pb::Location* location = message.add_location();
    location->set_id(i + 1);
    pb::Line* line = location->add_line();
    line->set_function_id(profile.locations[i].function + 1);
    line->set_line(profile.locations[i].line);
  }
  std::unordered_map<int, uint64_t> marker_locations;  // StackEnd -> location id
  auto marker_location = [&](StackEnd end) {
    auto [it, inserted] = marker_locations.emplace(static_cast<int>(end), 0);
    if (inserted) {
      pb::Function* function = message.add_function();
      function->set_id(message.function_size());
      function->set_name(string(end_marker(end)));
      function->set_system_name(function->name());
      pb::Location* location = message.add_location();
      location->set_id(message.location_size());
      location->add_line()->set_function_id(function->id());
      it->second = location->id();
    }
    return it->second;
  };

  for (const Sample& sample : profile.samples) {
    pb::Sample* out = message.add_sample();
    for (auto it = sample.locations.rbegin(); it != sample.locations.rend(); ++it) {
      out->add_location_id(*it + 1);
    }
    if (sample.end != StackEnd::kComplete) out->add_location_id(marker_location(sample.end));
    out->add_value(static_cast<int64_t>(profile.value(sample)));
    out->add_value(static_cast<int64_t>(profile.cpu_ns(sample)));
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    if (shows_process(process)) {
      pb::Label* pid = out->add_label();
      pid->set_key(string("pid"));
      pid->set_num(process.pid);
      pb::Label* comm = out->add_label();
      comm->set_key(string("comm"));
      comm->set_str(string(process.comm));
    }
    if (shows_thread(thread)) {
      pb::Label* tid = out->add_label();
      tid->set_key(string("tid"));
      tid->set_num(thread.tid);
      pb::Label* name = out->add_label();
      name->set_key(string("thread_name"));
      name->set_str(string(thread.name));
    }
  }
  return message;
}

Result<std::string> gzip(const std::string& data) {
  if (data.size() > std::numeric_limits<uInt>::max()) {  // zlib counts input in a uInt
    return make_error("zlib: cannot compress " + std::to_string(data.size()) + " bytes at once");
  }
  z_stream stream{};
  int status =
      deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  if (status != Z_OK) return zlib_error("deflateInit2", status);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  // Z_OK here: the output did not fit (it always should: deflateBound), a buffer error.
  if (status != Z_STREAM_END) return zlib_error("deflate", status == Z_OK ? Z_BUF_ERROR : status);
  return out;
}

Result<std::string> render_pprof(const Profile& profile) {
  return gzip(pprof_message(profile).SerializeAsString());
}

}  // namespace stprof
