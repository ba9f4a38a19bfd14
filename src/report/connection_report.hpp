#pragma once
// Connection records as a user reads them: an aligned table, JSON lines,
// CSV, or a Zeek conn.log (TSV with its header), and the summary of a
// whole capture (endings, closers, anomalies, close-duration percentiles,
// who sent the resets).
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyze/connection_record.hpp"

namespace teardown::report {

enum class RecordFormat { table, json, csv, zeek };

// The text before the first record (table and CSV headers, conn.log's #-lines).
std::string records_header(RecordFormat f, Instant opened);
// One record, a line (no trailing newline).
std::string record_line(RecordFormat f, const analyze::ConnectionRecord& r);
// The same line added to `out`, for writers that batch many.
void append_record(std::string& out, RecordFormat f, const analyze::ConnectionRecord& r);
// A record formatted before its number is known (by the shards of
// `--threads`, which number their connections by first packet): its line
// is written without the id and the uid, into a block of such lines, and
// this says where they go.
struct PendingLine {
    static constexpr std::uint32_t k_none = 0xFFFFFFFF;
    std::uint64_t order{0};  // the connection's first packet
    std::uint64_t uid_seed{0};
    std::uint32_t id_at{k_none};  // where in the line the id goes; k_none when the format shows none
    std::uint32_t uid_at{k_none};
};
// The line of `r` without its id and uid, added to `block` (`r` is lent:
// its id is set to 0 while its line is written, then put back).
PendingLine append_pending(std::string& block, RecordFormat f, analyze::ConnectionRecord& r);
// That line (`text`, as append_pending wrote it) with its id, and the uid made from it, added to `out`.
void append_numbered(std::string& out, RecordFormat f, std::string_view text, const PendingLine& line, std::uint64_t id);

// The text after the last record (conn.log's #close).
std::string records_footer(RecordFormat f, Instant closed);

class Summary {
public:
    void add(const analyze::ConnectionRecord& r);
    std::string text() const;
    std::string json() const;  // one line
    std::uint64_t connections() const { return connections_; }
    // Another summary's connections added to this one's.
    void merge(const Summary& o);

private:
    // Counted a record at a time by the hundred thousand, so by the
    // vocabulary's numbers, not its words; the words and their order are
    // the texts' business.
    std::uint64_t connections_{0};
    std::array<std::uint64_t, k_ending_names.size()> endings_{};
    std::array<std::uint64_t, k_closer_names.size()> closers_{};
    std::array<std::uint64_t, k_anomaly_names.size()> anomalies_{};
    // Zeek's conn_state words (static text, a dozen at most), looked for along the list.
    std::vector<std::pair<std::string_view, std::uint64_t>> conn_states_;
    // The top talkers by resets: RSTs each host sent that ended a connection
    // (by host, not endpoint: a client's are spread over its ephemeral ports).
    // Looked up for every reset, so hashed; sorted only for the texts.
    std::unordered_map<wire::IpAddress, std::uint64_t> resets_by_sender_;
    std::vector<double> close_seconds_;
};

} // namespace teardown::report
