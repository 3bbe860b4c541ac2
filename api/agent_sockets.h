// The agents' WebSockets (docs/api.md, "The agent WebSocket"): a registry of open sockets per
// (tenant, agent), the translation of routing events into the messages the console gets, and
// the close (4001) of sockets whose token has expired.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "daemon/http/websocket_channel.h"
#include "omniroute/v1/assignment.pb.h"

namespace omniroute::api {

// Finds the history line of a message that joined a conversation, to send it with the event;
// calls back with nullopt when it is not there (the console then reloads the history).
using MessageLookup = std::function<void(
    const std::string& tenant, const std::string& customer_id, const std::string& event_id,
    std::function<void(std::optional<boost::json::object>)> done)>;

// Thread-safe: sockets come and go on their strands while the tails deliver events. Messages
// are handed to the channels under the registry's mutex (send_text only queues), so each socket
// gets them in the order the registry decided.
//
// A socket is registered before its hello is read from Redis; until the hello is sent it gets
// nothing. Its backlog keeps the routing events of its tenant that arrive meanwhile, and the
// messages meant for it that no event can regenerate (customer messages, replies, presence).
// hello() sends the hello, then replays the backlog in order over the hello's holdings: every
// message is an absolute "contact is offered / active / gone", so replaying events the hello
// already reflects leaves the console where the last event put it.
class AgentSockets {
 public:
  explicit AgentSockets(const Clock& clock, MessageLookup lookup = {});

  // Registers an accepted socket; `expires_ms` is the token's expiry, if it has one.
  std::uint64_t add(const std::string& tenant, const std::string& agent,
                    std::shared_ptr<daemon::WebSocketChannel> channel,
                    std::optional<std::int64_t> expires_ms);
  void remove(std::uint64_t id);

  // Sends the hello, taking its offers and active contacts as what the agent holds, then what
  // the socket's backlog means for it.
  void hello(std::uint64_t id, boost::json::array offers, boost::json::array active);

  // A routing event of `tenant`: the messages it means for the agents concerned.
  void on_event(const std::string& tenant, const v1::AssignmentEvent& event);

  // The agent's own reply (the `message` history line of a reply command's result) as a
  // `message` on its sockets, so that every tab of the agent shows it.
  void on_reply(const std::string& tenant, const boost::json::object& history_line);

  // Events and messages kept for one socket before its hello; past this the socket is closed
  // (1013, try again later) rather than buffering without bound.
  static constexpr std::size_t kMaxBacklog = 1000;

  // Closes (4001) every socket whose token has expired by the clock; returns how many.
  std::size_t close_expired();
  // Closes every socket (1001 going away), at shutdown.
  void close_all();
  std::size_t size() const;

 private:
  // Before the hello: a routing event to replay, or a message to send as it is.
  struct Pending {
    std::optional<v1::AssignmentEvent> event;
    std::string text;
  };
  struct Socket {
    std::string tenant;
    std::string agent;
    std::shared_ptr<daemon::WebSocketChannel> channel;
    std::optional<std::int64_t> expires_ms;
    bool greeted = false;
    bool closing = false;  // its backlog overflowed
    std::vector<Pending> backlog;
  };
  // What an agent holds as far as its sockets have been told; kept while it has a socket.
  struct Holdings {
    std::set<std::string> offered;
    std::set<std::string> active;
  };
  using AgentKey = std::pair<std::string, std::string>;  // tenant, agent

  // What `e` means for `agent`, whose holdings it updates: a message, or nothing.
  static std::optional<boost::json::object> translate(const std::string& agent, Holdings& h,
                                                      const v1::AssignmentEvent& e);
  // Sends to the agent's greeted sockets; `keep` also queues it for the ones not yet greeted.
  void send_locked(const AgentKey& agent, const std::string& text, bool keep);
  void send(const AgentKey& agent, const boost::json::object& message);
  void queue_locked(Socket& socket, Pending pending);
  void on_message_appended(const std::string& tenant, const v1::AssignmentEvent& e);

  const Clock& clock_;
  MessageLookup lookup_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Socket> sockets_;
  std::map<AgentKey, Holdings> holdings_;
};

}  // namespace omniroute::api
