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

# OpenBLAS (libopenblas-dev) and LAPACKE (liblapacke-dev): EASE's dense Cholesky and inverse.
# pkg-config names the variant Debian's alternatives selected (openblas-pthread), whose cblas.h
# declares openblas_set_num_threads; without pkg-config, look for the headers and libraries.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(RWB_OPENBLAS QUIET IMPORTED_TARGET openblas)
  pkg_check_modules(RWB_LAPACKE QUIET IMPORTED_TARGET lapacke)
endif()
add_library(rwb_openblas INTERFACE)
if(RWB_OPENBLAS_FOUND AND RWB_LAPACKE_FOUND)
  target_link_libraries(rwb_openblas INTERFACE PkgConfig::RWB_LAPACKE PkgConfig::RWB_OPENBLAS)
  set(RWB_OPENBLAS_CHECK_INCLUDES ${RWB_OPENBLAS_INCLUDE_DIRS} ${RWB_LAPACKE_INCLUDE_DIRS})
  set(RWB_OPENBLAS_CHECK_LIBS ${RWB_LAPACKE_LINK_LIBRARIES} ${RWB_OPENBLAS_LINK_LIBRARIES})
else()
  find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas-pthread openblas)
  find_library(OPENBLAS_LIBRARY openblas PATH_SUFFIXES openblas-pthread)
  find_path(LAPACKE_INCLUDE_DIR lapacke.h)
  find_library(LAPACKE_LIBRARY lapacke)
  if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY OR NOT LAPACKE_INCLUDE_DIR
     OR NOT LAPACKE_LIBRARY)
    message(FATAL_ERROR "OpenBLAS and LAPACKE not found: install libopenblas-dev liblapacke-dev "
                        "(scripts/install-deps.sh)")
  endif()
  target_include_directories(rwb_openblas INTERFACE ${OPENBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
  target_link_libraries(rwb_openblas INTERFACE ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY})
  set(RWB_OPENBLAS_CHECK_INCLUDES ${OPENBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
  set(RWB_OPENBLAS_CHECK_LIBS ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY})
endif()
# A reference BLAS's cblas.h found first would build but lack OpenBLAS's thread control.
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${RWB_OPENBLAS_CHECK_INCLUDES})
set(CMAKE_REQUIRED_LIBRARIES ${RWB_OPENBLAS_CHECK_LIBS})
check_symbol_exists(openblas_set_num_threads cblas.h RWB_HAVE_OPENBLAS_THREADS)
check_symbol_exists(LAPACKE_spotrf lapacke.h RWB_HAVE_LAPACKE_POTRF)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT RWB_HAVE_OPENBLAS_THREADS OR NOT RWB_HAVE_LAPACKE_POTRF)
  message(FATAL_ERROR "the cblas.h / lapacke.h found are not OpenBLAS + LAPACKE: install "
                      "libopenblas-dev liblapacke-dev (scripts/install-deps.sh)")
endif()

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
