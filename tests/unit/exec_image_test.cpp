// Tests for discover/exec_image: how a process's executable is named for the kernel's exec
// program, and the entry the kernel registers a process of that executable with.

#include "discover/exec_image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "discover/proc_maps.h"
#include "util/files.h"

namespace stprof {
namespace {

TEST(KernelDev, MajorShiftedBy20BitsThenMinor) {
  EXPECT_EQ(kernel_dev(makedev(254, 0)), 254ull << 20);
  EXPECT_EQ(kernel_dev(makedev(8, 17)), (8ull << 20) | 17);
  EXPECT_EQ(kernel_dev(makedev(0, 1234)), 1234u);  // anonymous devices (tmpfs, overlay)
}

TEST(RelativeToText, MovesTheAbsoluteAddressesAndNothingElse) {
  stprof_process process{};
  process.interpreters_head_addr = 0x55d0'0000'9a28;
  process.gil_addr = 0x55d0'0000'a000;
  process.code_pointer_mask = 3;
  process.tstate_frame = 56;
  process.flags = STPROF_PROCESS_CODE_FREES;
  stprof_process image = relative_to_text(process, 0x55d0'0000'1000);
  EXPECT_EQ(image.interpreters_head_addr, 0x8a28u);
  EXPECT_EQ(image.gil_addr, 0x9000u);
  EXPECT_EQ(image.code_pointer_mask, 3u);
  EXPECT_EQ(image.tstate_frame, 56);
  EXPECT_EQ(image.flags, STPROF_PROCESS_CODE_FREES);
}

TEST(RelativeToText, AnUnknownGilStaysUnknown) {
  stprof_process process{};
  process.interpreters_head_addr = 0x9a28;
  EXPECT_EQ(relative_to_text(process, 0x1000).gil_addr, 0u);
}

TEST(ReadExecImage, OwnExecutableAndWhereItsTextWasLoaded) {
  std::optional<ExecImage> image = read_exec_image(::getpid());
  ASSERT_TRUE(image);
  struct stat st {};
  ASSERT_EQ(::stat("/proc/self/exe", &st), 0);
  EXPECT_EQ(image->key.dev, kernel_dev(st.st_dev));
  EXPECT_EQ(image->key.ino, static_cast<uint64_t>(st.st_ino));
  EXPECT_EQ(image->key.size, static_cast<uint64_t>(st.st_size));
  // start_code is in the executable mapping of this test's own file.
  std::optional<std::string> maps = read_text_file("/proc/self/maps");
  ASSERT_TRUE(maps);
  bool inside_text = false;
  for (const Mapping& m : parse_maps(*maps)) {
    if (m.executable && m.inode == static_cast<uint64_t>(st.st_ino)) {
      inside_text = inside_text || (m.start <= image->start_code && image->start_code < m.end);
    }
  }
  EXPECT_TRUE(inside_text) << std::hex << image->start_code << "\n" << *maps;
}

TEST(ReadExecImage, NoSuchProcess) {
  EXPECT_FALSE(read_exec_image(-1));
  EXPECT_FALSE(read_exec_image(1, "/nonexistent"));
}

}  // namespace
}  // namespace stprof
