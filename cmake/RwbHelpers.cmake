# Common warning flags for every project target.
function(rwb_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  # GCC 12 reports a false -Wrestrict inside libstdc++ for `"literal" + std::string&&`
  # (GCC bug 105651, fixed in GCC 13); silence only that compiler's copy of the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# In a ThreadSanitizer build (RWB_TSAN) against Debian's uninstrumented oneTBB, an executable
# runs oneTBB with one thread: see cmake/tsan_one_tbb_thread.cpp. No-op otherwise, and with an
# instrumented oneTBB (RWB_TSAN_TBB_DIR, scripts/build-tsan-tbb.sh).
function(rwb_tsan_setup target)
  if(RWB_TSAN AND NOT RWB_TSAN_TBB_DIR)
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/tsan_one_tbb_thread.cpp)
  endif()
endfunction()

# rwb_add_test(NAME name SOURCES a.cpp b.cpp [LIBS extra libs])
# One Catch2 executable per call, registered with CTest. Tests run from the source root so that
# relative paths such as ../shared/data resolve as they do for a user; RWB_SOURCE_DIR and
# RWB_SHARED_DATA_DIR are also passed as compile definitions.
function(rwb_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE rwb_test_main ${ARG_LIBS})
  rwb_target_warnings(${ARG_NAME})
  rwb_tsan_setup(${ARG_NAME})
  # Test cases that need ../shared/data are tagged [shared] and run as their own CTest entry,
  # which CTest reports as skipped (not passed) when the data is absent. Hidden ([.]) tests run
  # only by hand.
  # Test cases that need the test database server (scripts/test-databases.sh) are tagged
  # [database] and likewise run as their own entry, skipped when no server was started.
  set(needs_shared FALSE)
  set(needs_database FALSE)
  foreach(src ${ARG_SOURCES})
    file(STRINGS ${src} hits REGEX "^[ \t]*RWB_REQUIRE_SHARED_DATA\\(")
    if(hits)
      set(needs_shared TRUE)
    endif()
    file(STRINGS ${src} hits REGEX "^[ \t]*RWB_REQUIRE_TEST_DATABASE\\(")
    if(hits)
      set(needs_database TRUE)
    endif()
  endforeach()
  set(main_filter "")
  if(needs_shared)
    string(APPEND main_filter "~[shared]")
    add_test(NAME ${ARG_NAME}_shared COMMAND ${ARG_NAME} --use-colour no "[shared]~[.]"
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${ARG_NAME}_shared PROPERTIES TIMEOUT 900
                         SKIP_REGULAR_EXPRESSION "skipped: reference data absent")
  endif()
  if(needs_database)
    string(APPEND main_filter "~[database]")
    add_test(NAME ${ARG_NAME}_database COMMAND ${ARG_NAME} --use-colour no "[database]~[.]"
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${ARG_NAME}_database PROPERTIES TIMEOUT 900
                         SKIP_REGULAR_EXPRESSION "skipped: no test database")
  endif()
  if(main_filter)
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --use-colour no "${main_filter}~[.]"
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  else()
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --use-colour no
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT 900)
endfunction()
