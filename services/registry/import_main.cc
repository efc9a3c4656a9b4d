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
  std::string address, token_file, file, tls_ca, tls_cert, tls_key;
  app.add_option("--registry", address, "registry address host:port")->required();
  app.add_option("--token-file", token_file, "file holding a CONSORTIUM_ADMIN bearer token (loopback, no TLS)");
  app.add_option("--tls-ca", tls_ca, "PEM file of the CA that signed the registry's certificate (mutual TLS)");
  app.add_option("--tls-cert", tls_cert, "PEM client certificate of a CONSORTIUM_ADMIN (mutual TLS)");
  app.add_option("--tls-key", tls_key, "PEM key of that certificate");
  app.add_option("file", file, "the consortium file (YAML or JSON)")->required();
  CLI11_PARSE(app, argc, argv);
  auto read = [](const std::string& path, std::string* out) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    *out = text.str();
    return static_cast<bool>(in);
  };
  std::string token;
  if (token_file.empty() == tls_ca.empty()) {
    std::fprintf(stderr, "give --token-file (bearer token) or --tls-ca with --tls-cert and --tls-key (mutual TLS)\n");
    return 2;
  }
  if (!token_file.empty() && !read(token_file, &token)) {
    std::fprintf(stderr, "cannot read the token file %s\n", token_file.c_str());
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!tls_ca.empty()) {
    grpc::SslCredentialsOptions o;
    if (!read(tls_ca, &o.pem_root_certs) || !read(tls_cert, &o.pem_cert_chain) || !read(tls_key, &o.pem_private_key)) {
      std::fprintf(stderr, "cannot read --tls-ca, --tls-cert or --tls-key\n");
      return 2;
    }
    creds = grpc::SslCredentials(o);
  }
  auto plan = yilian::registry::ParseImportFile(file);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s\n", plan.status().ToString().c_str());
    return 2;
  }
  auto stub = yilian::registry::v1::Registry::NewStub(grpc::CreateChannel(address, creds));
  auto report = yilian::registry::Import(*stub, std::string(absl::StripAsciiWhitespace(token)), *plan);
  if (!report.ok()) {
    std::fprintf(stderr, "import stopped: %s\n", report.status().ToString().c_str());
    return 1;
  }
  std::printf("imported %s: %s\n", file.c_str(), report->Summary().c_str());
  return 0;
}
