// The estate executable is thin: everything lives in the harness library.
#include <iostream>

#include "harness/cli.h"

int main(int argc, char** argv) { return estate::harness::run_cli(argc, argv, std::cout, std::cerr); }
