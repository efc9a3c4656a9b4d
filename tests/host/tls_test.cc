// The mutual-TLS profile end to end, with certificates from scripts/dev-ca.sh: a client
// presenting a certificate of the consortium's CA is the principal its subject names
// (CN, O, OU); no certificate, or one from another CA, does not get through; a subject
// without a role is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "echo_service.h"
#include "grpcpp/grpcpp.h"
#include "yilian/host/service_host.h"
#include "yilian/testing/status_matchers.h"
#include "yilian/testing/subprocess.h"
#include "yilian/testing/temp_dir.h"

namespace yilian::host {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int DevCa(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/bash", YILIAN_SOURCE "/scripts/dev-ca.sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  yilian::testing::Subprocess p(argv);
  while (p.ReadLine()) {
  }
  return p.ExitCode();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = dir_.Sub("ca");
    ASSERT_EQ(DevCa({ca_, "--server", "referral", "--client", "dr.zhang@loudi-1st:loudi-1st:clinician", "--client",
                     "services@dev:-:service"}),
              0);
    // A certificate of another CA, and one of ours whose subject names no role.
    ASSERT_EQ(DevCa({dir_.Sub("other"), "--client", "mallory@loudi-1st:loudi-1st:clinician"}), 0);
    Issue("norole", "/O=loudi-1st/CN=norole");
    // Subjects that a printed-string parser would misread: a field given twice, and a value
    // holding what looks like another field (printed "CN=mallory\,OU=service,O=...").
    Issue("twice", "/O=loudi-1st/OU=clinician/OU=service/CN=twice");
    Issue("smuggled", "/O=loudi-1st/CN=mallory,OU=service");

    auth_ = Authenticator::FromClientCertificates();
    echo_ = std::make_unique<EchoService>(&auth_);
    HostOptions options{.service_name = "referral"};
    options.tls = {ca_ + "/server-referral.pem", ca_ + "/server-referral.key", ca_ + "/ca.pem"};
    ASSERT_OK_AND_ASSIGN(host_, ServiceHost::Start(options, auth_, {echo_.get()}));
  }

  // A client certificate of our CA with `subject`, as <ca>/<name>.pem and .key.
  void Issue(const std::string& name, const std::string& subject) {
    yilian::testing::Subprocess req({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_ + "/" + name + ".key", "-subj",
                                     subject, "-multivalue-rdn", "-out", ca_ + "/" + name + ".csr"});
    ASSERT_EQ(req.ExitCode(), 0) << subject;
    yilian::testing::Subprocess sign({"/usr/bin/openssl", "x509", "-req", "-in", ca_ + "/" + name + ".csr", "-CA",
                                      ca_ + "/ca.pem", "-CAkey", ca_ + "/ca.key", "-CAcreateserial", "-days", "1",
                                      "-out", ca_ + "/" + name + ".pem"});
    ASSERT_EQ(sign.ExitCode(), 0) << subject;
  }

  // WhoAmI over TLS, trusting our CA, presenting the certificate `cert` (none when empty).
  grpc::Status WhoAmI(const std::string& cert, const std::string& key, common::v1::Principal* out) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(ca_ + "/ca.pem");
    if (!cert.empty()) {
      o.pem_cert_chain = Read(cert);
      o.pem_private_key = Read(key);
    }
    auto stub = testing::v1::Echo::NewStub(grpc::CreateChannel(host_->address(), grpc::SslCredentials(o)));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->WhoAmI(&ctx, {}, out);
  }

  yilian::testing::TempDir dir_;
  std::string ca_;
  Authenticator auth_;
  std::unique_ptr<EchoService> echo_;
  std::unique_ptr<ServiceHost> host_;
};

TEST_F(TlsTest, TheCertificateSubjectIsThePrincipal) {
  common::v1::Principal who;
  ASSERT_TRUE(WhoAmI(ca_ + "/client-dr.zhang@loudi-1st.pem", ca_ + "/client-dr.zhang@loudi-1st.key", &who).ok());
  EXPECT_EQ(who.subject(), "dr.zhang@loudi-1st");
  EXPECT_EQ(who.institution_id(), "loudi-1st");
  EXPECT_EQ(who.role(), common::v1::ROLE_CLINICIAN);
  ASSERT_TRUE(WhoAmI(ca_ + "/client-services@dev.pem", ca_ + "/client-services@dev.key", &who).ok());
  EXPECT_EQ(who.role(), common::v1::ROLE_SERVICE);
}

TEST_F(TlsTest, WithTlsAServiceListensBeyondLoopback) {
  HostOptions options{.service_name = "referral", .listen_address = "0.0.0.0:0"};
  options.tls = {ca_ + "/server-referral.pem", ca_ + "/server-referral.key", ca_ + "/ca.pem"};
  ASSERT_OK_AND_ASSIGN(auto wide, ServiceHost::Start(options, auth_, {}));
  EXPECT_GT(wide->port(), 0);
}

TEST_F(TlsTest, NoCertificateOrAnotherCasIsNotLetIn) {
  common::v1::Principal who;
  EXPECT_EQ(WhoAmI("", "", &who).error_code(), grpc::StatusCode::UNAVAILABLE);  // the handshake fails
  const std::string other = dir_.Sub("other");
  EXPECT_EQ(WhoAmI(other + "/client-mallory@loudi-1st.pem", other + "/client-mallory@loudi-1st.key", &who).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ASubjectWithoutARoleIsRefused) {
  common::v1::Principal who;
  auto s = WhoAmI(ca_ + "/norole.pem", ca_ + "/norole.key", &who);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_message().find("OU=<role>"), std::string::npos) << s.error_message();
}

TEST_F(TlsTest, SubjectsAreReadByFieldAndRepeatedFieldsAreRefused) {
  common::v1::Principal who;
  for (const char* name : {"twice", "smuggled"}) {
    auto s = WhoAmI(ca_ + "/" + name + ".pem", ca_ + "/" + name + ".key", &who);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << ": " << who.ShortDebugString();
    EXPECT_NE(who.role(), common::v1::ROLE_SERVICE) << name;
  }
  auto s = WhoAmI(ca_ + "/twice.pem", ca_ + "/twice.key", &who);
  EXPECT_NE(s.error_message().find("OU is repeated"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace yilian::host
