#include "sim/seed_situations.hpp"

namespace teardown::sim {

namespace {

constexpr Side C = Side::client;
constexpr Side S = Side::server;

struct Builder {
    AddressFamily family;
    Instant start;
    std::uint16_t next_port{40001};
    std::vector<SeedSituation> out;

    Conversation fresh() {
        Conversation::Options o;
        const bool v4 = family == AddressFamily::v4;
        // Documentation prefixes only (RFC 5737, RFC 3849).
        o.client = {*wire::IpAddress::parse(v4 ? "192.0.2.1" : "2001:db8::1"), next_port};
        o.server = {*wire::IpAddress::parse(v4 ? "192.0.2.2" : "2001:db8::2"), 80};
        // Small, distinct initial sequence numbers keep the ladders readable.
        const std::uint32_t k = static_cast<std::uint32_t>(next_port - 40000);
        o.client_isn = 1000u * k;
        o.server_isn = 50000u + 1000u * k;
        o.start = start + Duration::seconds(3 * static_cast<std::int64_t>(out.size()));
        ++next_port;
        return Conversation{o};
    }
    void add(std::string name, std::string section, std::string summary, Conversation c) {
        out.push_back({std::move(name), std::move(section), std::move(summary), std::move(c)});
    }
};

} // namespace

std::vector<SeedSituation> seed_situations(AddressFamily family, Instant start) {
    Builder b{family, start, 40001, {}};

    b.add("four_way_close_by_client", "§2",
          "FIN, ACK, FIN, ACK: the client closes first, the server acknowledges, then closes too",
          b.fresh().open().send(C, 100).ack(S).send(S, 300).ack(C).fin(C).ack(S).fin(S).ack(C));

    b.add("four_way_close_by_server", "§2", "the server closes first; the client answers with ACK, then its own FIN",
          b.fresh().open().send(C, 100).send(S, 300).ack(C).fin(S).ack(C).fin(C).ack(S));

    b.add("three_way_close", "§2", "the server's FIN rides on the ACK of the client's FIN",
          b.fresh().open().send(C, 50).ack(S).fin(C).fin(S).ack(C));

    b.add("simultaneous_close", "§2", "both sides send FIN before seeing the other's: the FINs cross",
          b.fresh().open().hold_next().fin(C).hold_next().fin(S).deliver().ack(C).ack(S));

    b.add("half_close_server_keeps_sending", "§1",
          "the client is done sending; the server goes on sending data after the client's FIN, then closes",
          b.fresh().open().send(C, 40).fin(C).ack(S).send(S, 500).ack(C).send(S, 500).ack(C).fin(S).ack(C));

    b.add("refused", "§4", "nothing listens on the port: the SYN is answered by RST",
          b.fresh().syn(C).refuse());

    b.add("server_crash_reset", "§4", "the server process crashes: its host answers the next segment with RST",
          b.fresh().open().send(C, 100).ack(S).send(C, 100).rst(S, false));

    b.add("reset_on_close_with_unread_data", "§4",
          "the server application closes with data it never read: RST instead of FIN (an application error)",
          b.fresh().open().send(C, 200).ack(S).rst(S));

    b.add("lost_last_ack", "§7", "the last ACK is lost; the server retransmits its FIN and TIME_WAIT answers it",
          b.fresh().open().fin(C).ack(S).fin(S).lose_next().ack(C).after(Duration::millis(200)).retransmit(S).ack(C));

    b.add("peer_vanishes_after_fin", "§5",
          "the server vanishes: the client's FIN is retransmitted with backoff and never answered",
          b.fresh().open().send(C, 10).ack(S).lose_next().fin(C)
              .after(Duration::millis(200)).lose_next().retransmit(C)
              .after(Duration::millis(400)).lose_next().retransmit(C)
              .after(Duration::millis(800)).lose_next().retransmit(C));

    b.add("reset_after_fin", "§4", "the client closes, then aborts before the server answers: the close turns abortive",
          b.fresh().open().fin(C).ack(S).rst(C));

    return std::move(b.out);
}

} // namespace teardown::sim
