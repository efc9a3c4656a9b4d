#include "http_server.h"

#include <civetweb.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace yilian::gateway {

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, const std::string& prefix,
                                                              Handler handler) {
  static const int initialised = mg_init_library(MG_FEATURES_TLS);
  (void)initialised;
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler)));
  server->tls_ = !options.tls_pem_file.empty();
  const std::string ports = options.listen + (server->tls_ ? "s" : "");
  const std::string threads = std::to_string(options.threads);
  std::vector<const char*> opts = {"listening_ports",       ports.c_str(), "num_threads",        threads.c_str(),
                                   "enable_keep_alive",     "yes",         "request_timeout_ms", "30000",
                                   "keep_alive_timeout_ms", "30000"};
  if (server->tls_) {
    opts.push_back("ssl_certificate");
    opts.push_back(options.tls_pem_file.c_str());
    opts.push_back("ssl_protocol_version");
    opts.push_back("4");  // TLS 1.2 and later
  }
  opts.push_back(nullptr);
  mg_callbacks callbacks{};
  char error[256] = {};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.configuration_options = opts.data();
  mg_error_data err{};
  err.text = error;
  err.text_buffer_size = sizeof(error);
  server->ctx_ = mg_start2(&init, &err);
  if (server->ctx_ == nullptr)
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on ", options.listen, ": ", error));
  mg_server_port bound[4];
  const int n = mg_get_server_ports(server->ctx_, 4, bound);
  if (n < 1) return absl::UnavailableError(absl::StrCat("HTTP server on ", options.listen, " has no port"));
  server->port_ = bound[0].port;
  mg_set_request_handler(server->ctx_, prefix.c_str(), &HttpServer::Serve, server.get());
  return server;
}

HttpServer::~HttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

namespace {
constexpr size_t kDrainBytes = 64 << 20;
}  // namespace

int HttpServer::Serve(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<HttpServer*>(self_ptr);
  const mg_request_info* ri = mg_get_request_info(conn);
  HttpRequest req;
  req.method = ri->request_method ? ri->request_method : "";
  req.path = ri->local_uri ? ri->local_uri : "";
  req.query = ri->query_string ? ri->query_string : "";
  req.tls = ri->is_ssl != 0;
  for (int i = 0; i < ri->num_headers; ++i)
    req.headers[absl::AsciiStrToLower(ri->http_headers[i].name)] = ri->http_headers[i].value;
  const size_t limit = self->options_.max_body_bytes;
  char buf[16384];
  int got;
  size_t seen = 0;
  // Past the limit the rest is read and dropped (up to kDrainBytes), so the client, which
  // may still be sending, reads the 413 instead of a reset connection.
  while ((got = mg_read(conn, buf, sizeof(buf))) > 0) {
    seen += static_cast<size_t>(got);
    if (seen > limit) {
      req.body_too_large = true;
      req.body.clear();
      if (seen > kDrainBytes) break;
      continue;
    }
    req.body.append(buf, static_cast<size_t>(got));
  }
  HttpResponse resp = self->handler_(req);
  mg_response_header_start(conn, resp.status);
  mg_response_header_add(conn, "Content-Type", resp.content_type.c_str(), -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(resp.body.size()).c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  for (const auto& [name, value] : resp.headers) mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  if (seen > kDrainBytes) mg_response_header_add(conn, "Connection", "close", -1);  // the rest is unread
  mg_response_header_send(conn);
  if (req.method != "HEAD") mg_write(conn, resp.body.data(), resp.body.size());
  return resp.status;
}

}  // namespace yilian::gateway
