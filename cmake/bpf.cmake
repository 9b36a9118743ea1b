# BPF objects and their libbpf skeletons.
#
# vmlinux.h: generated at build time from the running kernel's BTF by default; set
# STPROF_VMLINUX_H to a pinned header to build on a machine without /sys/kernel/btf/vmlinux
# (regenerate one with `bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h`).
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(STPROF_VMLINUX_H "" CACHE FILEPATH "Pinned vmlinux.h (default: generate from /sys/kernel/btf/vmlinux)")
set(STPROF_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${STPROF_BPF_GEN_DIR})

# Call once, in the directory that builds the skeletons (custom command outputs are per directory).
function(stprof_vmlinux_header)
  if(STPROF_VMLINUX_H)
    configure_file(${STPROF_VMLINUX_H} ${STPROF_BPF_GEN_DIR}/vmlinux.h COPYONLY)
  else()
    add_custom_command(
      OUTPUT ${STPROF_BPF_GEN_DIR}/vmlinux.h
      COMMAND ${BPFTOOL} btf dump file /sys/kernel/btf/vmlinux format c > ${STPROF_BPF_GEN_DIR}/vmlinux.h
      COMMENT "Generating vmlinux.h from the kernel's BTF"
      VERBATIM)
  endif()
endfunction()

# stprof_bpf_skeleton(NAME SOURCE...): compiles each SOURCE (a .bpf.c) with CO-RE, links them
# into NAME.bpf.o (bpftool gen object; maps shared through __weak definitions) and generates
# NAME.skel.h. Header dependencies come from clang's depfiles, so editing bpf/stprof_abi.h or
# bpf/lib/*.bpf.h rebuilds the objects and the skeleton.
function(stprof_bpf_skeleton NAME)
  set(werror)
  if(STPROF_WERROR)
    set(werror -Werror)
  endif()
  set(objects)
  foreach(source IN LISTS ARGN)
    get_filename_component(stem ${source} NAME_WE)
    set(obj ${STPROF_BPF_GEN_DIR}/${stem}.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86
              -Wall -Wextra ${werror} -Wno-unused-parameter
              -I${STPROF_BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/bpf
              -MD -MF ${obj}.d
              -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${STPROF_BPF_GEN_DIR}/vmlinux.h
      DEPFILE ${obj}.d
      COMMENT "Compiling BPF ${source}"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(linked ${STPROF_BPF_GEN_DIR}/${NAME}.bpf.o)
  set(skel ${STPROF_BPF_GEN_DIR}/${NAME}.skel.h)
  add_custom_command(
    OUTPUT ${linked}
    COMMAND ${BPFTOOL} gen object ${linked} ${objects}
    DEPENDS ${objects}
    COMMENT "Linking BPF ${NAME}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${linked} name ${NAME} > ${skel}
    DEPENDS ${linked}
    COMMENT "Generating BPF skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_skel DEPENDS ${skel})
  add_library(${NAME}_skeleton INTERFACE)
  add_dependencies(${NAME}_skeleton ${NAME}_skel)
  target_include_directories(${NAME}_skeleton INTERFACE ${STPROF_BPF_GEN_DIR} ${CMAKE_SOURCE_DIR}/bpf)
endfunction()
