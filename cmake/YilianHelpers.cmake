# Small helpers so every target of ours gets the same warnings and layout.
set(YILIAN_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers)

# yilian_cc_library(NAME name SRCS ... DEPS ...) -> target yilian_<name>, alias yilian::<name>.
# Its public headers are include/ (a lib) or, where there is none, the directory itself (a
# service's library: everything but main.cc, so tests link exactly the production code).
function(yilian_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(yilian_${A_NAME} ${A_SRCS})
  add_library(yilian::${A_NAME} ALIAS yilian_${A_NAME})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(yilian_${A_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  else()
    target_include_directories(yilian_${A_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  target_compile_options(yilian_${A_NAME} PRIVATE ${YILIAN_WARNINGS})
  target_link_libraries(yilian_${A_NAME} PUBLIC ${A_DEPS})
endfunction()

# yilian_cc_binary(NAME name SRCS ... DEPS ...)
function(yilian_cc_binary)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_compile_options(${A_NAME} PRIVATE ${YILIAN_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
endfunction()

# yilian_cc_test(NAME name SRCS ... DEPS ... [TIMEOUT s]) -> gtest binary registered with ctest
function(yilian_cc_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_compile_options(${A_NAME} PRIVATE ${YILIAN_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} yilian::test_support GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${A_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${A_TIMEOUT})
endfunction()
