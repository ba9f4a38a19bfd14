# Debian's packages only (see scripts/deps.sh); nothing is downloaded at configure time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
# gzip captures are inflated by ISA-L's igzip (capture/byte_stream.cpp); the
# tests write theirs with zlib.
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
if(TEARDOWN_TESTS)
  find_package(GTest REQUIRED)
  find_package(ZLIB REQUIRED)
endif()
if(TEARDOWN_BENCH)
  find_package(benchmark REQUIRED)
endif()
# watch/: the BPF program is built by clang -target bpf against this kernel's
# BTF (bpftool btf dump), its skeleton by bpftool gen skeleton.
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(LIBMNL REQUIRED IMPORTED_TARGET libmnl)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
