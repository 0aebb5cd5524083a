# cmake -DSRC=<file> -DDST=<file> -P CopyIfExists.cmake: copies SRC to DST when SRC exists and
# differs (a file that scripts/setup.sh installs after the build tree was configured).
if(EXISTS "${SRC}")
  get_filename_component(dir "${DST}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${SRC}" "${DST}")
endif()
