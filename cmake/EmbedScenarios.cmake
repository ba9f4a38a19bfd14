# Writes OUT, a C++ file holding every scenario file in DIR as a string, so
# that `teardown demo` runs its bundled scenarios from any working directory.
file(GLOB files "${DIR}/*.toml")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(stem ${f} NAME_WE)
  file(READ ${f} text)
  string(APPEND body "    {\"${stem}\", R\"tdscenario(${text})tdscenario\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from scenarios/*.toml by cmake/EmbedScenarios.cmake.\n#include \"sim/bundled_scenarios.hpp\"\n\nnamespace teardown::sim {\n\nconst std::vector<BundledScenario>& bundled_scenarios() {\n    static const std::vector<BundledScenario> all{\n${body}    };\n    return all;\n}\n\n} // namespace teardown::sim\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
