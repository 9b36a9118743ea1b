// The ProcessSource of this host: procfs, and the process's own memory file.
#pragma once

#include "discover/python_binary.h"
#include "record/process_source.h"

namespace stprof {

class LiveProcesses final : public ProcessSource {
 public:
  int self() const override;
  std::vector<int> pids() override;
  std::vector<int> in_trees(const std::vector<int>& roots) override;
  std::optional<ProcStat> stat(int pid) override;
  std::string exe(int pid) override;
  ProcessFacts facts(int pid) override;
  std::string thread_name(int pid, int tid) override;
  ProcessInspection inspect(int pid) override;
  Result<std::unique_ptr<ProcessMemory>> open_memory(int pid) override;
  std::optional<ExecImage> exec_image(int pid) override;
  Result<UprobeSite> code_free_site(const PythonProcess& python,
                                    const ProcessMemory& memory) override;

 private:
  PythonBinaryCache binaries_;  // what was learned of each interpreter file
};

}  // namespace stprof
