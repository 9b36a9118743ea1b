// --pyroscope URL: Pyroscope's ingest API. One POST per profile:
//   URL/ingest?name=SERVICE.cpu{labels}&from=FROM&until=UNTIL&format=pprof&spyName=stprof-bpf
// (".wall" in wall mode; from/until Unix seconds), the gzipped pprof as the body. With a tenant,
// the X-Scope-OrgID header; with credentials, HTTP basic auth (a file holding "user:password")
// or a bearer token (a file holding it), read from their files at start and on SIGHUP, never
// from the command line.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "sinks/sink.h"
#include "util/result.h"

namespace stprof {

struct PyroscopeOptions {
  std::string url;              // the server, e.g. http://pyroscope:4040 (its /ingest is posted to)
  std::string tenant;           // X-Scope-OrgID; "" for none
  std::string basic_auth_file;  // "user:password" on its first line; "" for none
  std::string token_file;       // a bearer token on its first line; "" for none
  std::chrono::seconds timeout{10};  // a whole request, connection included
};

// Pyroscope's name parameter: the service as the application name, ".cpu" or ".wall", then
// the labels: APP.KIND{key=value,...}. Characters its name syntax reserves ("{", "}", ",", "=",
// '"') or that are not printable ASCII become '_' in the application name and the values (keys
// are valid already: agent/labels.h). Labels with an empty value are left out. The caller
// URL-encodes the whole.
std::string pyroscope_name(const std::string& service, std::string_view kind, const Labels& labels);

// The request's target for a profile (tests and logs): URL/ingest?name=...&from=...
std::string pyroscope_ingest_url(const std::string& base_url, const IntervalProfile& profile);

// How an HTTP status is taken: 2xx done; 408, 429 and 5xx retried; any other refused.
Delivery::Outcome outcome_of_status(long status);

class PyroscopeSink : public Sink {
 public:
  // Checks the URL's scheme and reads the credential files; an error says what to fix.
  static Result<std::unique_ptr<PyroscopeSink>> create(const PyroscopeOptions& options);
  ~PyroscopeSink() override;
  Delivery deliver(const IntervalProfile& profile) override;
  std::string name() const override { return "pyroscope"; }
  void reopen() override;

 private:
  explicit PyroscopeSink(PyroscopeOptions options) : options_(std::move(options)) {}
  Result<void> read_credentials();

  PyroscopeOptions options_;
  std::string basic_auth_;  // "user:password"
  std::string token_;
  void* curl_ = nullptr;  // one easy handle, reused so its connection is kept alive
};

}  // namespace stprof
