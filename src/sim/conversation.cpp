#include "sim/conversation.hpp"

namespace teardown::sim {

using wire::TcpFlags;

Conversation::Conversation(Options options) : opts_{std::move(options)}, now_{opts_.start} {
    client_.snd_nxt = SeqNum{opts_.client_isn};
    server_.snd_nxt = SeqNum{opts_.server_isn};
}

Conversation& Conversation::after(Duration d) {
    now_ += d;
    return *this;
}

Conversation& Conversation::lose_next() {
    lose_next_ = true;
    return *this;
}

Conversation& Conversation::hold_next() {
    hold_next_ = true;
    return *this;
}

Conversation& Conversation::deliver() {
    while (!in_flight_.empty()) {
        receive(in_flight_.front());
        in_flight_.pop_front();
    }
    return *this;
}

void Conversation::receive(const WireSegment& seg) {
    Peer& to = peer(other(seg.from));
    if (seg.tcp.flags.rst_set()) return;
    if (seg.tcp.flags.syn_set()) {
        // RFC 9293 §3.4: the SYN's sequence number is the ISN; data starts after it.
        to.rcv_nxt = seg.tcp.seq + 1u;
        to.synchronized = true;
        return;
    }
    // Only in-order segments advance RCV.NXT; a retransmission of what was
    // already received changes nothing.
    if (to.synchronized && seg.tcp.seq == to.rcv_nxt) to.rcv_nxt += seg.tcp.seq_len(seg.payload.size());
}

Conversation& Conversation::emit(Side from, int flag_bits, std::uint32_t bytes, std::optional<SeqNum> seq) {
    auto flags = static_cast<std::uint8_t>(flag_bits);
    Peer& me = peer(from);
    now_ += opts_.step;
    WireSegment seg;
    seg.at = now_;
    seg.from = from;
    seg.src = endpoint(from).addr;
    seg.dst = endpoint(other(from)).addr;
    seg.tcp.src_port = endpoint(from).port;
    seg.tcp.dst_port = endpoint(other(from)).port;
    seg.tcp.seq = seq.value_or(me.snd_nxt);
    if (me.synchronized && (flags & TcpFlags::rst) == 0) flags |= TcpFlags::ack;
    if (flags & TcpFlags::ack) seg.tcp.ack = me.rcv_nxt;
    seg.tcp.flags = TcpFlags{flags};
    seg.tcp.window = (flags & TcpFlags::rst) ? 0 : opts_.window;
    if ((flags & TcpFlags::syn) && opts_.syn_options) {
        seg.tcp.options.mss = 1460;
        seg.tcp.options.sack_permitted = true;
        seg.tcp.options.window_scale = 7;
    }
    if (opts_.timestamps && (flags & TcpFlags::rst) == 0) {
        const auto ms = static_cast<std::uint32_t>(now_.nanos() / 1'000'000);
        seg.tcp.options.timestamps = wire::Timestamps{ms, me.synchronized ? ms : 0};
    }
    // Payload bytes are a readable pattern so a capture shows what was sent.
    seg.payload.resize(bytes);
    for (std::uint32_t i = 0; i < bytes; ++i) seg.payload[i] = std::byte{static_cast<unsigned char>('a' + (seg.tcp.seq.raw() + i) % 26)};
    if (!seq) me.snd_nxt += seg.tcp.seq_len(bytes);

    seg.lost = lose_next_;
    segments_.push_back(seg);
    me.last = seg;
    if (lose_next_) {
        lose_next_ = false;
    } else if (hold_next_) {
        hold_next_ = false;
        in_flight_.push_back(std::move(seg));
    } else {
        receive(seg);
    }
    return *this;
}

Conversation& Conversation::syn(Side from) {
    return emit(from, TcpFlags::syn, 0);
}

Conversation& Conversation::open() {
    return syn(Side::client).syn(Side::server).ack(Side::client);
}

Conversation& Conversation::send(Side from, std::uint32_t bytes) {
    return emit(from, TcpFlags::psh | TcpFlags::ack, bytes);
}

Conversation& Conversation::ack(Side from) {
    return emit(from, TcpFlags::ack, 0);
}

Conversation& Conversation::fin(Side from, std::uint32_t bytes) {
    return emit(from, TcpFlags::fin | TcpFlags::ack | (bytes > 0 ? TcpFlags::psh : 0), bytes);
}

Conversation& Conversation::rst(Side from, bool with_ack) {
    return emit(from, TcpFlags::rst | (with_ack ? TcpFlags::ack : 0), 0);
}

Conversation& Conversation::refuse() {
    // The listener-less host answers a SYN with SEQ=0 and ACK=SEG.SEQ+SEG.LEN (RFC 9293 §3.10.7.1).
    return emit(Side::server, TcpFlags::rst | TcpFlags::ack, 0, SeqNum{0});
}

Conversation& Conversation::retransmit(Side from) {
    Peer& me = peer(from);
    if (!me.last) return *this;
    const WireSegment last = *me.last;
    return emit(from, last.tcp.flags.bits(), static_cast<std::uint32_t>(last.payload.size()), last.tcp.seq);
}

} // namespace teardown::sim
