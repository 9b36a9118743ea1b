#include "render/call_tree.h"

#include <algorithm>

#include "render/frames.h"

namespace stprof {
namespace {

struct Builder {
  CallNode node;
  std::vector<Builder> children;
  std::unordered_map<std::string, size_t> index;

  Builder& child(CallNode::Kind kind, const std::string& name) {
    auto [it, inserted] = index.emplace(name, children.size());
    if (inserted) {
      children.emplace_back();
      children.back().node.kind = kind;
      children.back().node.name = name;
    }
    return children[it->second];
  }
};

CallNode finish(Builder& builder, ChildOrder order) {
  CallNode node = std::move(builder.node);
  node.children.reserve(builder.children.size());
  for (Builder& child : builder.children) node.children.push_back(finish(child, order));
  std::sort(node.children.begin(), node.children.end(),
            [order](const CallNode& a, const CallNode& b) {
              if (order == ChildOrder::kByTotal && a.total != b.total) return a.total > b.total;
              return a.name < b.name;
            });
  return node;
}

}  // namespace

CallNode build_call_tree(const Profile& profile, ChildOrder order) {
  Builder root;
  root.node.name = "all";
  std::vector<std::string> labels(profile.locations.size());
  for (size_t i = 0; i < labels.size(); i++)
    labels[i] = location_label(profile, static_cast<uint32_t>(i));
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    uint64_t value = profile.value(sample);
    Builder* node = &root;
    node->node.total += value;
    auto descend = [&](CallNode::Kind kind, const std::string& name) {
      node = &node->child(kind, name);
      node->node.total += value;
    };
    if (shows_process(process)) {
      if (shows_container(profile, process)) descend(CallNode::Kind::kProcess, container_label(process));
      descend(CallNode::Kind::kProcess, process_label(process));
    }
    if (shows_thread(thread)) descend(CallNode::Kind::kThread, thread_label(thread));
    if (sample.end != StackEnd::kComplete) descend(CallNode::Kind::kMarker, end_marker(sample.end));
    for (uint32_t location : sample.locations) descend(CallNode::Kind::kFrame, labels[location]);
    node->node.self += value;
  }
  return finish(root, order);
}

}  // namespace stprof
