#pragma once
// The gateway's HTTP/1.1 server: civetweb (Debian's libcivetweb) does the protocol —
// keep-alive, TLS, a pool of worker threads, request parsing — and hands each request under
// `prefix` to one handler as a value. Bodies are kept up to a limit; a larger one reaches the
// handler marked too large (and empty).
//
// Thread-safe: the handler runs on civetweb's workers, many at once.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

struct mg_context;
struct mg_connection;

namespace yilian::gateway {

struct HttpRequest {
  std::string method;
  std::string path;                            // decoded, without the query
  std::string query;                           // raw (percent-encoded)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool body_too_large = false;
  bool tls = false;
  // The header's value; "" when absent.
  std::string Header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/fhir+json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  struct Options {
    std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
    int threads = 16;
    size_t max_body_bytes = 1 << 20;
    std::string tls_pem_file;  // certificate chain and key in one PEM file: serve HTTPS
  };

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const Options& options, const std::string& prefix,
                                                           Handler handler);
  ~HttpServer();  // stops: waits for the requests being served
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  bool tls() const { return tls_; }

 private:
  HttpServer(Options options, Handler handler) : options_(std::move(options)), handler_(std::move(handler)) {}
  static int Serve(struct mg_connection* conn, void* self);

  Options options_;
  Handler handler_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace yilian::gateway
