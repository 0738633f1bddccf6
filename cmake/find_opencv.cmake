# OpenCV core/imgproc/imgcodecs for dputk_data. Uses OpenCV's CMake package when it is complete (host,
# PetaLinux SDK). A sysroot made of extracted Debian packages (scripts/arm64_sysroot.sh) carries only the
# three modules' libraries, which OpenCV's package file rejects, so then the libraries are found directly.
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
if(NOT OpenCV_FOUND)
  find_path(OpenCV_INCLUDE_DIRS opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  set(OpenCV_LIBS)
  foreach(m core imgproc imgcodecs)
    find_library(OpenCV_${m}_LIBRARY NAMES opencv_${m} REQUIRED)
    list(APPEND OpenCV_LIBS ${OpenCV_${m}_LIBRARY})
  endforeach()
  message(STATUS "OpenCV (libraries found directly): ${OpenCV_LIBS}")
endif()
