// Runs a fuzz target without libFuzzer: every file in the given directories, then a fixed
// number of deterministic mutations of each (byte flips, truncations, splices), so ctest
// exercises the target's malformed-input paths in every build, sanitizers included.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::string Mutate(const std::string& in, const std::vector<std::string>& all, std::mt19937& rng) {
  std::string s = in;
  switch (rng() % 5) {
    case 0:  // flip a byte
      if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
      break;
    case 1:  // truncate
      s.resize(s.empty() ? 0 : rng() % s.size());
      break;
    case 2: {  // splice with another input
      const std::string& other = all[rng() % all.size()];
      s = s.substr(0, s.empty() ? 0 : rng() % s.size()) +
          other.substr(other.empty() ? 0 : rng() % other.size());
      break;
    }
    case 3:  // duplicate a slice
      if (!s.empty()) {
        size_t at = rng() % s.size();
        s.insert(at, s.substr(at, rng() % 64));
      }
      break;
    default:  // insert an interesting byte
      s.insert(s.empty() ? 0 : rng() % s.size(), 1, "\0\r\n\":{}[]\xff"[rng() % 10]);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (inputs.empty()) inputs.emplace_back();
  std::mt19937 rng(12345);
  for (const auto& in : inputs) Run(in);
  constexpr int kMutationsPerInput = 2000;
  for (const auto& in : inputs) {
    for (int i = 0; i < kMutationsPerInput; ++i) Run(Mutate(in, inputs, rng));
  }
  std::printf("ran %zu inputs and %d mutations each\n", inputs.size(), kMutationsPerInput);
  return 0;
}
