// The omniroute binary as a child process for end-to-end tests: start it with a config and
// environment, learn its port from its "listening" log line, signal it, collect its exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace omniroute::testing {

std::string omniroute_binary();                        // path of the built binary
std::string source_path(const std::string& relative);  // a file of the source tree

// Writes `text` to a fresh file in a per-test temp dir and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);
// Replaces a file's content (e.g. a config before SIGHUP).
void write_file(const std::string& path, const std::string& text);

class DaemonProcess {
 public:
  // Starts `omniroute <args...>` with `env` added to this process's environment. stderr (the
  // JSON log) goes to a file that wait_for_log() reads.
  DaemonProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {});
  ~DaemonProcess();  // SIGKILL if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Waits until a log line contains `needle` (polling the log file with a deadline); returns
  // that line, or throws with the log so far on timeout or if the process exits first.
  std::string wait_for_log(const std::string& needle,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Starts, then waits for the "listening" line and returns the bound port.
  int wait_for_port();
  int port() const { return port_; }

  void signal(int signo);
  // Waits for exit; returns the exit code (128+signal if killed), or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string log_path_;
};

// Runs a command to completion, returns {exit code, stdout+stderr}.
struct CommandResult {
  int exit_code;
  std::string output;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

}  // namespace omniroute::testing
