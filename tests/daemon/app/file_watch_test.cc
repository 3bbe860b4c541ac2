#include "daemon/app/file_watch.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

using omniroute::daemon::FileWatch;

namespace {

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("omniroute-filewatch-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("a file watch reports a change once, and nothing while files stay as they are") {
  auto a = temp_path("a.yaml"), b = temp_path("b.yaml");
  write(a, "one");
  write(b, "two");
  FileWatch watch({a, b});
  CHECK_FALSE(watch.changed());

  write(b, "two, longer");
  CHECK(watch.changed());
  CHECK_FALSE(watch.changed());

  // Editors often write a new file and rename it over the old one: a new inode.
  write(a + ".tmp", "one");
  std::filesystem::rename(a + ".tmp", a);
  CHECK(watch.changed());

  std::filesystem::remove(a);  // vanishing counts as a change, and so does coming back
  CHECK(watch.changed());
  write(a, "one");
  CHECK(watch.changed());
  CHECK_FALSE(watch.changed());
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}
