#include "tests/support/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace omniroute::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_dir() {
  static const std::string dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "omniroute-test-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    return templ;
  }();
  return dir;
}

std::string unique_name(const std::string& stem) {
  static std::atomic<int> counter{0};
  return temp_dir() + "/" + std::to_string(counter++) + "-" + stem;
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env, int out_fd) {
  dup2(out_fd, STDERR_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string omniroute_binary() {
  return std::string(OMNIROUTE_BINARY_DIR) + "/daemon/omniroute";
}

std::string source_path(const std::string& relative) {
  return std::string(OMNIROUTE_SOURCE_DIR) + "/" + relative;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  auto path = unique_name(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

DaemonProcess::DaemonProcess(std::vector<std::string> args,
                             std::map<std::string, std::string> env) {
  log_path_ = unique_name("omniroute.log");
  int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + log_path_);
  args.insert(args.begin(), omniroute_binary());
  pid_ = fork();
  if (pid_ == 0) exec_child(args, env, fd);
  close(fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

DaemonProcess::~DaemonProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string DaemonProcess::log() const {
  return read_file(log_path_);
}

bool DaemonProcess::running() {
  if (pid_ <= 0 || exit_code_ != -1) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_status(status);
    return false;
  }
  return true;
}

std::string DaemonProcess::wait_for_log(const std::string& needle,
                                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::istringstream lines(log());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    if (!running()) {
      throw std::runtime_error("omniroute exited (" + std::to_string(exit_code_) +
                               ") before logging '" + needle + "':\n" + log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("timed out waiting for '" + needle + "' in:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // start-up readiness poll
  }
}

int DaemonProcess::wait_for_port() {
  auto line = wait_for_log("\"msg\":\"listening\"");
  auto at = line.find("\"port\":");
  if (at == std::string::npos) throw std::runtime_error("no port in: " + line);
  port_ = std::atoi(line.c_str() + at + 7);
  return port_;
}

void DaemonProcess::signal(int signo) {
  if (pid_ > 0) kill(pid_, signo);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env) {
  auto out_path = unique_name("command.out");
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = fork();
  if (pid == 0) exec_child(argv, env, fd);
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return {decode_status(status), read_file(out_path)};
}

}  // namespace omniroute::testing
