# Every third-party dependency comes from a Debian 12 package (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(SQLite3 REQUIRED)
if(RWB_TSAN AND RWB_TSAN_TBB_DIR)
  # A oneTBB built with -fsanitize=thread (scripts/build-tsan-tbb.sh): TSan then sees TBB's task
  # hand-offs, and executables run TBB with all its threads (see cmake/tsan_one_tbb_thread.cpp).
  find_package(TBB REQUIRED CONFIG PATHS "${RWB_TSAN_TBB_DIR}" NO_DEFAULT_PATH)
  message(STATUS "ThreadSanitizer build with the instrumented oneTBB of ${RWB_TSAN_TBB_DIR}")
else()
  find_package(TBB REQUIRED)
endif()
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(FastFloat REQUIRED)
find_package(Boost 1.74 REQUIRED)  # header-only parts: Boost.Math distributions
find_package(xgboost REQUIRED)
find_package(PostgreSQL REQUIRED)  # libpq (libpq-dev)
find_package(ODBC REQUIRED)        # unixODBC (unixodbc-dev)
find_package(ZLIB REQUIRED)  # project store: models compressed (zlib1g-dev, already a dependency)

# xxHash ships no CMake package on Debian 12: a header and libxxhash.so.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
find_library(XXHASH_LIBRARY xxhash REQUIRED)
add_library(rwb_xxhash INTERFACE)
target_include_directories(rwb_xxhash INTERFACE ${XXHASH_INCLUDE_DIR})
target_link_libraries(rwb_xxhash INTERFACE ${XXHASH_LIBRARY})

# hnswlib (libhnswlib-dev) is header-only and ships no CMake package: /usr/include/hnswlib/.
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
add_library(rwb_hnswlib INTERFACE)
target_include_directories(rwb_hnswlib SYSTEM INTERFACE ${HNSWLIB_INCLUDE_DIR})

# cpp-httplib on Debian 12 is built in split mode: /usr/include/httplib.h + libcpp-httplib.so.
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
find_library(HTTPLIB_LIBRARY cpp-httplib REQUIRED)
add_library(rwb_httplib INTERFACE)
target_include_directories(rwb_httplib INTERFACE ${HTTPLIB_INCLUDE_DIR})
target_link_libraries(rwb_httplib INTERFACE ${HTTPLIB_LIBRARY} Threads::Threads)
# The library was compiled with these; the header's class layouts depend on them (see its .pc).
target_compile_definitions(rwb_httplib INTERFACE CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT
                           CPPHTTPLIB_BROTLI_SUPPORT)

if(RWB_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
if(RWB_BUILD_GUI)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Core Gui Widgets Concurrent Sql Test PrintSupport)
  find_package(QCustomPlotQt6 REQUIRED)
endif()
