#pragma once
// Numbers and times written into a line being built, without a temporary
// string each: the analyzer writes hundreds of thousands of records a
// second, and formatting them through streams or fmt's allocating calls
// cost more than analyzing their packets.
//
// TextCursor writes into room the caller has made for a whole line (the
// most it can take), with no check of capacity a field; append_written
// makes that room in a string, and append_uint and append_seconds6 use it. (Addresses and endpoints:
// wire::IpAddress::write_to and append_to, the same for wire::Endpoint.)
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace teardown {

class TextCursor {
public:
    // The most uint() and seconds6() write.
    static constexpr std::size_t k_max_uint = 20;
    static constexpr std::size_t k_max_seconds6 = 28;

    explicit TextCursor(char* at) : at_{at} {}
    char* at() const { return at_; }

    TextCursor& put(char c) {
        *at_++ = c;
        return *this;
    }
    TextCursor& put(std::string_view s) {
        copy(at_, s.data(), s.size());
        at_ += s.size();
        return *this;
    }
    // Spaces after the text written since `from`, up to `width` in all
    // (a column left-aligned); none when it is as wide already. Widths up
    // to k_max_pad, and the room made must hold k_max_pad more than the
    // text: the spaces go in one fixed-size store, which may run past the
    // ones kept.
    TextCursor& pad_from(const char* from, std::size_t width) {
        const char* end = from + width;
        if (at_ < end) {
            std::memcpy(at_, k_spaces, k_max_pad);
            at_ += end - at_;
        }
        return *this;
    }
    // Spaces before a field `length` wide, so that it ends `width` on (a
    // column right-aligned); the same limits.
    TextCursor& pad_before(std::size_t length, std::size_t width) {
        if (length < width) {
            std::memcpy(at_, k_spaces, k_max_pad);
            at_ += width - length;
        }
        return *this;
    }
    static constexpr std::size_t k_max_pad = 32;  // the widest column padded
    // Text another writer put at at(), `end` its end.
    TextCursor& written_to(char* end) {
        at_ = end;
        return *this;
    }
    // How many digits uint(v) writes.
    static unsigned digits(std::uint64_t v) {
        unsigned n = 1;
        for (; v >= 10'000; v /= 10'000) n += 4;
        return n + (v >= 10) + (v >= 100) + (v >= 1'000);
    }
    // Written in place, backward from its last digit: no buffer to copy from.
    TextCursor& uint(std::uint64_t v) {
        at_ += digits(v);
        digits_before(at_, v);
        return *this;
    }
    // 0 to 255 from a table: the four numbers of a dotted quad. It writes
    // four bytes and keeps up to three: the room made for an address
    // (IpAddress::k_max_text, an IPv6 one's) holds the last quad's fourth.
    TextCursor& byte(std::uint8_t v) {
        std::memcpy(at_, k_bytes[v].text, 4);
        at_ += k_bytes[v].length;
        return *this;
    }
    // Nanoseconds as seconds with six decimals, rounded to the nearest
    // microsecond (half away from zero): "1767225600.000020", "-0.000001".
    TextCursor& seconds6(std::int64_t nanos) {
        const std::uint64_t mag = nanos < 0 ? 0 - static_cast<std::uint64_t>(nanos) : static_cast<std::uint64_t>(nanos);
        const std::uint64_t micros = (mag + 500) / 1000;
        if (nanos < 0 && micros != 0) put('-');
        whole_seconds(micros / 1'000'000);
        put('.');
        // The six decimals, zero-padded, two at a time in 32 bits.
        const auto f = static_cast<std::uint32_t>(micros % 1'000'000);
        std::memcpy(at_, &k_pairs[f / 10'000 * 2], 2);
        std::memcpy(at_ + 2, &k_pairs[f / 100 % 100 * 2], 2);
        std::memcpy(at_ + 4, &k_pairs[f % 100 * 2], 2);
        at_ += 6;
        return *this;
    }
    TextCursor& seconds6(Instant t) { return seconds6(t.nanos()); }
    TextCursor& seconds6(Duration d) { return seconds6(d.count_nanos()); }

private:
    // Most fields are a few bytes: two fixed-size copies that overlap in the
    // middle, inline, instead of a call to memcpy each.
    static void copy(char* to, const char* from, std::size_t n) {
        if (n >= 16 && n <= 32) {
            std::memcpy(to, from, 16);
            std::memcpy(to + n - 16, from + n - 16, 16);
        } else if (n >= 8 && n < 16) {
            std::memcpy(to, from, 8);
            std::memcpy(to + n - 8, from + n - 8, 8);
        } else if (n >= 4 && n < 8) {
            std::memcpy(to, from, 4);
            std::memcpy(to + n - 4, from + n - 4, 4);
        } else if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        } else {
            copy_long(to, from, n);
        }
    }
    // Out of line: where a caller's field is known to be short, the
    // compiler need not consider (and warn of) a long copy from it.
    [[gnu::noinline]] static void copy_long(char* to, const char* from, std::size_t n) { std::memcpy(to, from, n); }
    static constexpr char k_spaces[k_max_pad + 1] = "                                ";
    // "00" "01" ... "99": two digits a step.
    static constexpr char k_pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    struct ByteText {
        char text[4];
        std::uint8_t length;
    };
    static constexpr auto k_bytes = [] {
        std::array<ByteText, 256> t{};
        for (unsigned v = 0; v < 256; ++v) {
            ByteText& b = t[v];
            if (v >= 100) b.text[b.length++] = static_cast<char>('0' + v / 100);
            if (v >= 10) b.text[b.length++] = static_cast<char>('0' + v / 10 % 10);
            b.text[b.length++] = static_cast<char>('0' + v % 10);
        }
        return t;
    }();
    // A time's seconds since the epoch are ten digits, and a record's times
    // mostly share them: the last ones written are kept as text.
    void whole_seconds(std::uint64_t secs) {
        if (secs < 10'000) {
            uint(secs);
            return;
        }
        struct Kept {
            std::uint64_t secs{0};
            char text[k_max_uint]{};
            std::size_t length{0};
        };
        static thread_local Kept kept;
        if (kept.secs != secs) {
            kept.secs = secs;
            kept.length = digits(secs);
            digits_before(kept.text + kept.length, secs);
        }
        copy(at_, kept.text, kept.length);
        at_ += kept.length;
    }
    // `v` in decimal, written backward ending at `end`; the first digit's place.
    static char* digits_before(char* end, std::uint64_t v) {
        while (v >= 100) {
            const auto two = static_cast<unsigned>(v % 100) * 2;
            v /= 100;
            *--end = k_pairs[two + 1];
            *--end = k_pairs[two];
        }
        if (v >= 10) {
            const auto two = static_cast<unsigned>(v) * 2;
            *--end = k_pairs[two + 1];
            *--end = k_pairs[two];
        } else {
            *--end = static_cast<char>('0' + v);
        }
        return end;
    }
    char* at_;
};

// What `write` writes at a cursor, added to `out`: room is made for the
// most it can write (`room`), then cut to what it took. One resize a line,
// not a capacity check a field. Where the room fits, it is the thread's own
// scratch, and what was written is appended from there: a string grown by
// `room` zeroes all of it first, and a record's room is about 900 bytes for
// the 150 or so a CSV line takes (cachegrind: about 130 of a record's 2 100
// instructions).
inline std::array<char, 4096>& append_scratch() {
    thread_local std::array<char, 4096> scratch;  // one a thread, for every kind of writer
    return scratch;
}
template <typename Write>
void append_written(std::string& out, std::size_t room, const Write& write) {
    auto& scratch = append_scratch();
    if (room <= scratch.size()) {
        TextCursor c{scratch.data()};
        write(c);
        out.append(scratch.data(), static_cast<std::size_t>(c.at() - scratch.data()));
        return;
    }
    const std::size_t start = out.size();
    out.resize(start + room);
    TextCursor c{out.data() + start};
    write(c);
    out.resize(static_cast<std::size_t>(c.at() - out.data()));
}

inline void append_uint(std::string& out, std::uint64_t v) {
    append_written(out, TextCursor::k_max_uint, [&](TextCursor& c) { c.uint(v); });
}

inline void append_seconds6(std::string& out, std::int64_t nanos) {
    append_written(out, TextCursor::k_max_seconds6, [&](TextCursor& c) { c.seconds6(nanos); });
}
inline void append_seconds6(std::string& out, Instant t) { append_seconds6(out, t.nanos()); }
inline void append_seconds6(std::string& out, Duration d) { append_seconds6(out, d.count_nanos()); }

} // namespace teardown
