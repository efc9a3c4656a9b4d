// yilian-registry-import: imports a consortium file (YAML or JSON) through a running
// registry's gRPC API, changing only what differs (idempotent).
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "import.h"

int main(int argc, char** argv) {
  CLI::App app{"Import consortia, institutions, wards and expert sessions into a Yilian registry"};
  std::string address, token_file, file;
  app.add_option("--registry", address, "registry address host:port")->required();
  app.add_option("--token-file", token_file, "file holding a CONSORTIUM_ADMIN bearer token")->required();
  app.add_option("file", file, "the consortium file (YAML or JSON)")->required();
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(token_file);
  std::stringstream token;
  token << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "cannot read the token file %s\n", token_file.c_str());
    return 2;
  }
  auto plan = yilian::registry::ParseImportFile(file);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s\n", plan.status().ToString().c_str());
    return 2;
  }
  auto stub = yilian::registry::v1::Registry::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto report = yilian::registry::Import(*stub, std::string(absl::StripAsciiWhitespace(token.str())), *plan);
  if (!report.ok()) {
    std::fprintf(stderr, "import stopped: %s\n", report.status().ToString().c_str());
    return 1;
  }
  std::printf("imported %s: %s\n", file.c_str(), report->Summary().c_str());
  return 0;
}
