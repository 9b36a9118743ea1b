#include "sinks/pyroscope_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "util/files.h"

namespace stprof {
namespace {

// The first line of a credentials file, without its line end; an error names the flag.
Result<std::string> first_line(const std::string& path, const std::string& flag) {
  std::optional<std::string> content = read_text_file(path);
  if (!content) {
    return make_error(flag + " " + path + ": cannot read it (" + errno_text(errno) +
                      "); the agent reads credentials from a file readable by root only");
  }
  std::string line = content->substr(0, content->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return make_error(flag + " " + path + ": the file's first line is empty");
  return line;
}

std::string escaped(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

std::string sanitized(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    bool reserved = c == '{' || c == '}' || c == ',' || c == '=' || c == '"';
    if (reserved || c <= ' ' || c > '~') c = '_';
  }
  return out.empty() ? "_" : out;
}

size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

std::string pyroscope_name(const std::string& service, std::string_view kind, const Labels& labels) {
  std::string name = sanitized(service);
  ((name += ".") += kind) += "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (value.empty()) continue;  // an empty label is no label (as in Prometheus)
    if (!first) name += ",";
    first = false;
    ((name += key) += "=") += sanitized(value);
  }
  return name + "}";
}

std::string pyroscope_ingest_url(const std::string& base_url, const IntervalProfile& profile) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string kind = profile.mode == ProfileMode::kWall ? "wall" : "cpu";
  return base + "/ingest?name=" + escaped(pyroscope_name(profile.service, kind, profile.labels)) +
         "&from=" + std::to_string(profile.window.from) + "&until=" +
         std::to_string(profile.window.until) + "&format=pprof&spyName=stprof-bpf";
}

Delivery::Outcome outcome_of_status(long status) {
  if (status >= 200 && status < 300) return Delivery::kDone;
  if (status == 408 || status == 429 || status >= 500) return Delivery::kRetry;
  return Delivery::kRefused;
}

Result<std::unique_ptr<PyroscopeSink>> PyroscopeSink::create(const PyroscopeOptions& options) {
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
    return make_error("--pyroscope " + options.url +
                      ": not an http:// or https:// URL (e.g. http://pyroscope:4040)");
  }
  if (!options.basic_auth_file.empty() && !options.token_file.empty()) {
    return make_error("--pyroscope-basic-auth-file and --pyroscope-token-file: give one of them");
  }
  static std::once_flag initialized;  // before any thread: curl_global_init is not thread-safe
  std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<PyroscopeSink> sink(new PyroscopeSink(options));
  if (auto read = sink->read_credentials(); !read) return read.error();
  sink->curl_ = curl_easy_init();
  if (!sink->curl_) return make_error("libcurl could not start a session (out of memory?)");
  return sink;
}

PyroscopeSink::~PyroscopeSink() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<void> PyroscopeSink::read_credentials() {
  if (!options_.basic_auth_file.empty()) {
    Result<std::string> line = first_line(options_.basic_auth_file, "--pyroscope-basic-auth-file");
    if (!line) return line.error();
    if (line->find(':') == std::string::npos) {
      return make_error("--pyroscope-basic-auth-file " + options_.basic_auth_file +
                        ": write user:password on its first line");
    }
    basic_auth_ = *line;
  }
  if (!options_.token_file.empty()) {
    Result<std::string> line = first_line(options_.token_file, "--pyroscope-token-file");
    if (!line) return line.error();
    token_ = *line;
  }
  return {};
}

void PyroscopeSink::reopen() {
  // A file that went bad keeps the credentials read before: the next push tells if they fail.
  static_cast<void>(read_credentials());
}

Delivery PyroscopeSink::deliver(const IntervalProfile& profile) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the connection cache
  std::string url = pyroscope_ingest_url(options_.url, profile);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/octet-stream");
  if (!options_.tenant.empty()) {
    headers = curl_slist_append(headers, ("X-Scope-OrgID: " + options_.tenant).c_str());
  }
  if (!token_.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, profile.pprof_gz.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(profile.pprof_gz.size()));
  if (!basic_auth_.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, basic_auth_.c_str());
  }
  long timeout_ms = static_cast<long>(options_.timeout.count()) * 1000;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 5000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // a thread of its own: no SIGALRM for timeouts
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stprof-bpf");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) return {Delivery::kRetry, curl_easy_strerror(code)};
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  Delivery delivery{outcome_of_status(status), "HTTP " + std::to_string(status)};
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    delivery.retry_after = std::chrono::seconds(retry_after);
  }
  return delivery;
}

}  // namespace stprof
