// The libFuzzer entry point of one target: fuzz/CMakeLists.txt compiles this file once per
// target, with YILIAN_FUZZ_TARGET naming its body in targets.h (clang, -fsanitize=fuzzer only).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return yilian::fuzz::YILIAN_FUZZ_TARGET(data, size);
}
