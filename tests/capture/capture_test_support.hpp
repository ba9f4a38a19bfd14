#pragma once
// Small helpers for capture tests: temporary files and hand-written bytes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace teardown::capture::test {

class TempFile {
public:
    explicit TempFile(const std::string& suffix) {
        static int counter = 0;
        path_ = (std::filesystem::temp_directory_path() /
                 ("teardown-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix)).string();
    }
    ~TempFile() { std::filesystem::remove(path_); }
    const std::string& path() const { return path_; }
    std::vector<std::byte> read() const {
        std::ifstream in(path_, std::ios::binary);
        std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::vector<std::byte> out(c.size());
        for (std::size_t i = 0; i < c.size(); ++i) out[i] = std::byte(static_cast<unsigned char>(c[i]));
        return out;
    }
    void write(const std::vector<std::byte>& bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }

private:
    std::string path_;
};

// Appends integers in a chosen byte order.
struct Bytes {
    std::vector<std::byte> b;
    bool big{false};
    Bytes& u8(unsigned v) { b.push_back(std::byte(static_cast<unsigned char>(v))); return *this; }
    Bytes& u16(unsigned v) { return big ? u8(v >> 8).u8(v) : u8(v).u8(v >> 8); }
    Bytes& u32(std::uint32_t v) { return big ? u16(v >> 16).u16(v & 0xFFFF) : u16(v & 0xFFFF).u16(v >> 16); }
    Bytes& raw(const std::vector<std::byte>& r) { b.insert(b.end(), r.begin(), r.end()); return *this; }
    Bytes& pad4() { while (b.size() % 4) u8(0); return *this; }
};

inline std::vector<std::byte> frame_of(std::size_t n, unsigned seed) {
    std::vector<std::byte> f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = std::byte(static_cast<unsigned char>(seed + i));
    return f;
}

// pcapng blocks written by hand, in either byte order.
struct Ng {
    Bytes b;
    explicit Ng(bool big) { b.big = big; }
    Ng& block(std::uint32_t type, const std::vector<std::byte>& body) {
        const auto len = static_cast<std::uint32_t>(12 + ((body.size() + 3) & ~std::size_t{3}));
        b.u32(type).u32(len).raw(body).pad4().u32(len);
        return *this;
    }
    Bytes body() const { Bytes x; x.big = b.big; return x; }
    Ng& shb() { return block(0x0A0D0D0A, body().u32(0x1A2B3C4D).u16(1).u16(0).u32(0xFFFFFFFF).u32(0xFFFFFFFF).b); }
    Ng& idb(std::uint16_t link, int tsresol = -1) {
        Bytes x = body();
        x.u16(link).u16(0).u32(65535);
        if (tsresol >= 0) x.u16(9).u16(1).u8(static_cast<unsigned>(tsresol)).pad4();
        x.u16(0).u16(0);
        return block(1, x.b);
    }
    Ng& epb(std::uint32_t ifc, std::uint64_t ticks, const std::vector<std::byte>& data) {
        Bytes x = body();
        x.u32(ifc).u32(static_cast<std::uint32_t>(ticks >> 32)).u32(static_cast<std::uint32_t>(ticks))
            .u32(static_cast<std::uint32_t>(data.size())).u32(static_cast<std::uint32_t>(data.size())).raw(data);
        return block(6, x.b);
    }
    Ng& spb(std::uint32_t orig, const std::vector<std::byte>& data) { return block(3, body().u32(orig).raw(data).b); }
    Ng& opb(std::uint16_t ifc, std::uint64_t ticks, const std::vector<std::byte>& data) {
        Bytes x = body();
        x.u16(ifc).u16(0).u32(static_cast<std::uint32_t>(ticks >> 32)).u32(static_cast<std::uint32_t>(ticks))
            .u32(static_cast<std::uint32_t>(data.size())).u32(static_cast<std::uint32_t>(data.size())).raw(data);
        return block(2, x.b);
    }
};


} // namespace teardown::capture::test
