#pragma once
// Runs the teardown binary (and peers such as tshark) as a user would, and
// builds captures for them to read.
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace teardown::cli_test {

struct Run {
    int status{-1};
    std::string out;
    std::string err;
};

// Runs `command` through the shell; stdout and stderr are collected apart.
inline Run run(const std::string& command) {
    static int counter = 0;
    const std::string err_path = (std::filesystem::temp_directory_path() /
                                  ("teardown-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".err"))
                                     .string();
    Run r;
    std::FILE* p = ::popen((command + " 2>" + err_path).c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 65536> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (std::FILE* e = std::fopen(err_path.c_str(), "r")) {
        while ((n = std::fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
        std::fclose(e);
    }
    std::filesystem::remove(err_path);
    return r;
}

inline std::string teardown_binary() { return TEARDOWN_BINARY; }

inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("teardown-clitest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

} // namespace teardown::cli_test
