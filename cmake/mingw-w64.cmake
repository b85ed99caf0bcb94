# Cross-compiling cpuu for 64-bit Windows on Debian (gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
# The result needs only DLLs every Windows has (docs/windows.md).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CPUU_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "mingw-w64 tool prefix")
set(CMAKE_C_COMPILER ${CPUU_MINGW_PREFIX}-gcc)
set(CMAKE_RC_COMPILER ${CPUU_MINGW_PREFIX}-windres)
set(CMAKE_AR ${CPUU_MINGW_PREFIX}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${CPUU_MINGW_PREFIX}-ranlib CACHE FILEPATH "")

set(CMAKE_FIND_ROOT_PATH /usr/${CPUU_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No host packages (hivex, libldap, ...) may leak into the Windows build.
set(ENV{PKG_CONFIG_LIBDIR} "")
set(ENV{PKG_CONFIG_PATH} "")

# Static C runtime support (libgcc, emutls for _Thread_local, winpthread):
# the exe then imports only system DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
