# Every target of ours gets the same warning set; third-party headers come in as SYSTEM.
add_library(teardown_warnings INTERFACE)
target_compile_options(teardown_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wswitch)
if(TEARDOWN_WERROR)
  target_compile_options(teardown_warnings INTERFACE -Werror)
endif()
