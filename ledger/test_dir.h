#pragma once

// A fresh temporary directory for a test, removed with everything in it at the end.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace edge::ledger {

class TestDir {
 public:
  TestDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "edge-ledger-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) abort();
    path_ = tmpl;
  }
  ~TestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace edge::ledger
