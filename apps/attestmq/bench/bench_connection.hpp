#pragma once
// One non-blocking TCP connection of the load generator: an output buffer flushed with one
// send() per event-loop turn, and an input buffer cut into MQTT packets by the project's
// codec (parse_frame + decode). Registered edge-triggered, so it never needs epoll_ctl again.
// With a TLS context every byte goes through a tls::Session: MQTT packets queued before the
// handshake completes wait in the output buffer and go out encrypted right after it.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "tls/session.hpp"

namespace attestmq::app::bench {

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Starts a non-blocking connect and registers with `epoll_fd`; `tag` comes back in events.
  // A non-null `tls` runs TLS over the connection. A closed connection may be opened again.
  bool open(const sockaddr_storage& address, socklen_t address_size, int epoll_fd, void* tag,
            const std::shared_ptr<const tls::Context>& tls, std::string& error);
  void close();
  bool is_open() const { return fd_ >= 0; }
  // The TLS session of the current connection (nullptr without TLS), valid until close().
  const tls::Session* tls_session() const { return session_.get(); }

  template <typename PacketType>
  void queue(const PacketType& packet, mqtt::Version version) {
    mqtt::encode(packet, version, out_);
  }

  // Called on EPOLLOUT: completes the connect the first time, then writes pending bytes.
  bool on_writable(std::string& error);
  // Writes as much pending output as the socket takes now.
  bool flush(std::string& error);

  // Reads what the socket holds and calls on_packet(const mqtt::Packet&) for each complete
  // packet. on_packet returns false to stop (an error it has already described).
  template <typename OnPacket>
  bool receive(mqtt::Version version, OnPacket&& on_packet, std::string& error) {
    for (;;) {
      const ReadResult result = read_some(error);
      if (result == ReadResult::failed) return false;
      for (;;) {
        mqtt::FixedHeader header;
        mqtt::DecodeStatus status;
        const std::span<const std::uint8_t> pending(in_.data() + in_begin_, in_end_ - in_begin_);
        const auto frame = mqtt::parse_frame(pending, kMaxPacket, header, status);
        if (frame == mqtt::FrameStatus::need_more) break;
        if (frame == mqtt::FrameStatus::error) return malformed(status, error);
        mqtt::Packet packet;
        status = mqtt::decode(header, pending.subspan(header.header_size, header.remaining_length),
                              version, packet);
        if (!status.ok()) return malformed(status, error);
        in_begin_ += header.total_size();
        if (!on_packet(packet)) return false;
      }
      if (result == ReadResult::drained) return true;
      if (result == ReadResult::closed) {
        error = "connection closed by the broker";
        return false;
      }
    }
  }

 private:
  static constexpr std::uint32_t kMaxPacket = mqtt::kMaxRemainingLength + 5;

  enum class ReadResult { drained, more, closed, failed };
  // One recv() into in_. `drained` when the socket had less than the free space (with
  // edge-triggered epoll a later arrival raises a new event), `more` when it filled it.
  ReadResult read_some(std::string& error);
  // Room for `bytes` more at in_end_, moving the partial packet to the front first.
  void make_room(std::size_t bytes);
  // TLS: decrypts `ciphertext` into in_; the session's answers join wire_.
  bool decrypt(std::span<const std::uint8_t> ciphertext, std::string& error);
  bool malformed(const mqtt::DecodeStatus& status, std::string& error) const;

  int fd_ = -1;
  bool connected_ = false;
  std::vector<std::uint8_t> out_;  // MQTT bytes not yet sent (plain) or not yet encrypted
  std::unique_ptr<tls::Session> session_;
  std::vector<std::uint8_t> records_;  // TLS: ciphertext not yet sent
  std::vector<std::uint8_t> ciphertext_in_;
  std::size_t wire_sent_ = 0;          // of out_ (plain) or records_ (TLS)
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
};

}  // namespace attestmq::app::bench
