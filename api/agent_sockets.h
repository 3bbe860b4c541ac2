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
#include "daemon/websocket.h"
#include "omniroute/v1/assignment.pb.h"

namespace omniroute::api {

// Finds the history line of a message that joined a conversation, to send it with the event;
// calls back with nullopt when it is not there (the console then reloads the history).
using MessageLookup = std::function<void(
    const std::string& tenant, const std::string& customer_id, const std::string& event_id,
    std::function<void(std::optional<boost::json::object>)> done)>;

// Thread-safe: sockets come and go on their strands while the tails deliver events.
class AgentSockets {
 public:
  explicit AgentSockets(const Clock& clock, MessageLookup lookup = {});

  // Registers an accepted socket; `expires_ms` is the token's expiry, if it has one.
  std::uint64_t add(const std::string& tenant, const std::string& agent,
                    std::shared_ptr<daemon::WebSocketChannel> channel,
                    std::optional<std::int64_t> expires_ms);
  void remove(std::uint64_t id);

  // Sends the hello and takes its offers and active contacts as what the agent holds now.
  void hello(std::uint64_t id, boost::json::array offers, boost::json::array active);

  // A routing event of `tenant`: the messages it means for the agents concerned.
  void on_event(const std::string& tenant, const v1::AssignmentEvent& event);

  // Closes (4001) every socket whose token has expired by the clock; returns how many.
  std::size_t close_expired();
  // Closes every socket (1001 going away), at shutdown.
  void close_all();
  std::size_t size() const;

 private:
  struct Socket {
    std::string tenant;
    std::string agent;
    std::shared_ptr<daemon::WebSocketChannel> channel;
    std::optional<std::int64_t> expires_ms;
  };
  // What an agent holds as far as its sockets have been told; kept while it has a socket.
  struct Holdings {
    std::set<std::string> offered;
    std::set<std::string> active;
  };
  using AgentKey = std::pair<std::string, std::string>;  // tenant, agent

  void send(const AgentKey& agent, const boost::json::object& message);
  // The agent holding `contact` (offered or active) in `tenant`, if one of ours does.
  std::optional<std::string> holder(const std::string& tenant, const std::string& contact,
                                    bool* was_offered);
  void on_message_appended(const std::string& tenant, const v1::AssignmentEvent& e);

  const Clock& clock_;
  MessageLookup lookup_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Socket> sockets_;
  std::map<AgentKey, Holdings> holdings_;
};

}  // namespace omniroute::api
