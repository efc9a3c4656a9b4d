// yilianctl: a command-line client for every RPC of the Yilian services, by reflection.
//
//   yilianctl list                                   services and their methods
//   yilianctl describe SERVICE METHOD                the request's fields
//   yilianctl SERVICE METHOD [-d JSON|@file|-] [--set path=value ...] [--json | --get path]
//
// Exit codes: 0 done; 2 usage error (bad flags, unknown method, a request that does not
// fit); 3 refused by the service (its error is printed); 4 service unreachable or too slow;
// 1 the service failed. See README.md for where the address and token come from.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "call.h"
#include "catalog.h"
#include "render.h"
#include "yilian/common/v1/common.pb.h"

using namespace yilian::ctl;
namespace pb = ::google::protobuf;

namespace {

constexpr int kUsage = 2, kRefused = 3, kUnreachable = 4, kFailed = 1;

int Usage(const std::string& what) {
  std::fprintf(stderr, "yilianctl: %s\n", what.c_str());
  return kUsage;
}

int ExitCodeOf(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return 0;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kUnreachable;
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      return kFailed;
    default:
      return kRefused;
  }
}

std::string CodeName(grpc::StatusCode c) {
  static const char* names[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? names[i] : absl::StrCat(i);
}

void DescribeMessage(const pb::Descriptor* d, const std::string& indent, int depth) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    std::string type = f->type() == pb::FieldDescriptor::TYPE_MESSAGE ? f->message_type()->name()
                       : f->type() == pb::FieldDescriptor::TYPE_ENUM  ? f->enum_type()->name()
                                                                      : f->type_name();
    if (f->is_repeated()) type = absl::StrCat("repeated ", type);
    std::printf("%s%-28s %s\n", indent.c_str(), f->name().c_str(), type.c_str());
    if (f->type() == pb::FieldDescriptor::TYPE_ENUM) {
      std::string values;
      for (int v = 0; v < f->enum_type()->value_count(); ++v)
        absl::StrAppend(&values, v ? " " : "", f->enum_type()->value(v)->name());
      std::printf("%s  %s\n", indent.c_str(), values.c_str());
    }
    if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && depth < 2 &&
        f->message_type()->full_name().rfind("google.protobuf.", 0) != 0)
      DescribeMessage(f->message_type(), indent + "  ", depth + 1);
  }
}

absl::StatusOr<std::string> ReadData(const std::string& data) {
  if (data.empty() || (data[0] != '@' && data != "-")) return data;
  std::stringstream text;
  if (data == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(data.substr(1));
    if (!in) return absl::InvalidArgumentError("cannot read " + data.substr(1));
    text << in.rdbuf();
  }
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"yilianctl: call any RPC of the Yilian services (see tools/yilianctl/README.md)"};
  std::vector<std::string> args;
  Flags flags;
  std::string on, data;
  std::vector<std::string> sets;
  bool json = false;
  std::string get;
  double timeout = 30;
  app.add_option("command", args, "list | describe SERVICE METHOD | SERVICE METHOD")->required();
  app.add_option("--address", flags.address, "host:port of the service");
  app.add_option("--on", on, "for bus, feed and health: the service whose server to call");
  app.add_option("--token", flags.token, "bearer token");
  app.add_option("--token-file", flags.token_file, "file holding the bearer token");
  app.add_option("--correlation-id", flags.correlation_id,
                 "x-correlation-id of the call: ties it to a flow in the services' logs (env YILIAN_CORRELATION_ID)");
  app.add_option("--config", flags.config, "JSON config file (addresses, token_file, tls_*)");
  app.add_option("--tls-ca", flags.tls_ca, "PEM file of the CA (TLS)");
  app.add_option("--tls-cert", flags.tls_cert, "PEM client certificate (mutual TLS)");
  app.add_option("--tls-key", flags.tls_key, "PEM client key (mutual TLS)");
  app.add_option("-d,--data", data, "the request as JSON, @file, or - for stdin");
  app.add_option("--set", sets, "set a request field: path=value (repeatable; a.b=1 for nested)");
  app.add_flag("--json", json, "print responses as JSON lines");
  app.add_option("--get", get, "print only this field of each response (dotted path, e.g. referral.referral_id)");
  app.add_option("--timeout", timeout, "seconds before giving up (default 30)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }

  if (args[0] == "list") {
    for (const auto& s : Services()) {
      const auto* d = Descriptor(s);
      if (d == nullptr) continue;
      std::printf("%s (%s)\n", s.name.c_str(), s.full_name.c_str());
      for (int i = 0; i < d->method_count(); ++i)
        std::printf("  %-28s %s%s\n", Kebab(d->method(i)->name()).c_str(), d->method(i)->input_type()->name().c_str(),
                    d->method(i)->server_streaming() ? "  (stream)" : "");
    }
    return 0;
  }
  const bool describe = args[0] == "describe";
  if (describe) args.erase(args.begin());
  if (args.size() != 2) return Usage("say SERVICE METHOD (or: list, describe SERVICE METHOD); --help for more");
  auto service = FindService(args[0]);
  if (!service.ok()) return Usage(std::string(service.status().message()));
  auto method = FindMethod(**service, args[1]);
  if (!method.ok()) return Usage(std::string(method.status().message()));
  if (describe) {
    std::printf("%s.%s(%s)%s\n", (*service)->name.c_str(), (*method)->name().c_str(),
                (*method)->input_type()->full_name().c_str(), (*method)->server_streaming() ? " -> stream" : "");
    DescribeMessage((*method)->input_type(), "  ", 0);
    return 0;
  }

  const std::string home = (*service)->home.empty() ? (*service)->name : on;
  if (home.empty()) return Usage(absl::StrCat((*service)->name, " is served by every service: say which with --on"));
  auto target = Resolve(flags, home);
  if (!target.ok()) return Usage(std::string(target.status().message()));
  auto body = ReadData(data);
  if (!body.ok()) return Usage(std::string(body.status().message()));
  auto request = BuildRequest(**method, *body, sets);
  if (!request.ok()) return Usage(std::string(request.status().message()));
  if (timeout <= 0) return Usage("--timeout must be positive");

  auto channel = Connect(*target);
  const grpc::Status s =
      Call(channel, *target, **method, **request, absl::Milliseconds(timeout * 1000), [&](const pb::Message& m) {
        if (!get.empty()) {
          std::printf("%s\n", Field(m, get).value_or("").c_str());
        } else {
          std::fputs((json ? ToJson(m) + "\n" : ToText(m)).c_str(), stdout);
        }
        std::fflush(stdout);
      });
  if (!s.ok()) {
    const int code = ExitCodeOf(s);
    std::fprintf(stderr, "yilianctl: %s %s %s: %s: %s\n", (*service)->name.c_str(), Kebab((*method)->name()).c_str(),
                 code == kUnreachable ? "did not get through"
                 : code == kRefused   ? "was refused"
                                      : "failed",
                 CodeName(s.error_code()).c_str(), s.error_message().c_str());
    yilian::common::v1::Problem problem;  // what a script can act on, as one JSON line
    if (!s.error_details().empty() && problem.ParseFromString(s.error_details()))
      std::fprintf(stderr, "yilianctl: problem: %s\n", ToJson(problem).c_str());
    return code;
  }
  return 0;
}
