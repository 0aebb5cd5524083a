// Entry point of the llm-edge binary; the subcommands live beside this file.
#include <cstdio>

int main() {
  std::fprintf(stderr, "llm-edge: under construction\n");
  return 1;
}
