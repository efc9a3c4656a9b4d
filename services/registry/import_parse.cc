// Reading an import file (YAML or JSON) into registry messages.
#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "import.h"

namespace yilian::registry {

namespace rv1 = ::yilian::registry::v1;

namespace {

// A bad item: where it is and what is wrong.
struct Bad {
  std::string message;
};

std::string At(const std::string& path, const char* key) { return absl::StrCat(path, ".", key); }

template <typename T>
T Get(const YAML::Node& n, const std::string& path, const char* key, bool required = true, T fallback = T()) {
  const YAML::Node v = n[key];
  if (!v || v.IsNull()) {
    if (required) throw Bad{absl::StrCat(At(path, key), ": is required")};
    return fallback;
  }
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    throw Bad{absl::StrCat(At(path, key), ": \"", v.IsScalar() ? v.Scalar() : "(not a value)", "\" is not a ",
                           std::is_same_v<T, std::string> ? "string" : "number")};
  }
}

template <typename Enum>
Enum GetEnum(const YAML::Node& n, const std::string& path, const char* key, bool (*parse)(const std::string&, Enum*)) {
  const std::string name = Get<std::string>(n, path, key);
  Enum v{};
  if (!parse(name, &v)) throw Bad{absl::StrCat(At(path, key), ": \"", name, "\" is not a known value")};
  return v;
}

// Walks a sequence under `key` (absent = empty), calling fn(node, "key[i]").
template <typename Fn>
void Each(const YAML::Node& n, const std::string& path, const char* key, Fn fn) {
  const YAML::Node seq = n[key];
  if (!seq || seq.IsNull()) return;
  if (!seq.IsSequence()) throw Bad{absl::StrCat(At(path, key), ": is not a list")};
  for (size_t i = 0; i < seq.size(); ++i) fn(seq[i], absl::StrCat(path.empty() ? "" : path + ".", key, "[", i, "]"));
}

ImportPlan Parse(const YAML::Node& root) {
  ImportPlan plan;
  if (!root.IsMap()) throw Bad{"the file is not a map with institutions, consortia and expert_sessions"};
  Each(root, "", "institutions", [&](const YAML::Node& n, const std::string& p) {
    rv1::Institution i;
    i.set_institution_id(Get<std::string>(n, p, "id"));
    i.set_name(Get<std::string>(n, p, "name"));
    i.set_short_name(Get<std::string>(n, p, "short_name", false));
    i.set_tier(Get<int>(n, p, "tier"));
    i.set_type(GetEnum<rv1::InstitutionType>(n, p, "type", &rv1::InstitutionType_Parse));
    const YAML::Node loc = n["location"];
    if (!loc || !loc.IsMap()) throw Bad{At(p, "location") + ": is required as {lat, lon}"};
    i.mutable_location()->set_latitude(Get<double>(loc, At(p, "location"), "lat"));
    i.mutable_location()->set_longitude(Get<double>(loc, At(p, "location"), "lon"));
    Each(n, p, "capabilities", [&](const YAML::Node& c, const std::string& cp) {
      rv1::Capability cap{};
      if (!c.IsScalar() || !rv1::Capability_Parse(c.Scalar(), &cap))
        throw Bad{absl::StrCat(cp, ": \"", c.IsScalar() ? c.Scalar() : "", "\" is not a known capability")};
      i.add_capabilities(cap);
    });
    Each(n, p, "wards", [&](const YAML::Node& w, const std::string& wp) {
      rv1::Ward ward;
      ward.set_institution_id(i.institution_id());
      ward.set_ward_id(Get<std::string>(w, wp, "id"));
      ward.set_name(Get<std::string>(w, wp, "name"));
      ward.set_kind(GetEnum<rv1::WardKind>(w, wp, "kind", &rv1::WardKind_Parse));
      ward.set_capacity(Get<int>(w, wp, "capacity"));
      ward.set_emergency_reserved(Get<int>(w, wp, "emergency_reserved", false));
      plan.wards.push_back(std::move(ward));
    });
    plan.institutions.push_back(std::move(i));
  });
  Each(root, "", "consortia", [&](const YAML::Node& n, const std::string& p) {
    rv1::Consortium c;
    c.set_consortium_id(Get<std::string>(n, p, "id"));
    c.set_name(Get<std::string>(n, p, "name"));
    c.set_lead_institution_id(Get<std::string>(n, p, "lead"));
    c.set_cross_region(Get<bool>(n, p, "cross_region", false));
    Each(n, p, "members", [&](const YAML::Node& m, const std::string& mp) {
      if (!m.IsScalar()) throw Bad{mp + ": is not an institution id"};
      c.add_member_ids(m.Scalar());
    });
    plan.consortia.push_back(std::move(c));
  });
  Each(root, "", "expert_sessions", [&](const YAML::Node& n, const std::string& p) {
    rv1::ExpertSession s;
    s.set_session_id(Get<std::string>(n, p, "id"));
    s.set_institution_id(Get<std::string>(n, p, "institution"));
    s.set_expert_id(Get<std::string>(n, p, "expert_id"));
    s.set_expert_name(Get<std::string>(n, p, "expert_name"));
    s.set_department(Get<std::string>(n, p, "department"));
    s.set_slot_count(Get<int>(n, p, "slots"));
    for (auto [key, field] : {std::pair{"starts_at", s.mutable_starts_at()}, std::pair{"ends_at", s.mutable_ends_at()},
                              std::pair{"release_cutoff", s.mutable_release_cutoff()}}) {
      const std::string text = Get<std::string>(n, p, key);
      if (!google::protobuf::util::TimeUtil::FromString(text, field))
        throw Bad{absl::StrCat(At(p, key), ": \"", text, "\" is not an RFC 3339 time")};
    }
    Each(n, p, "reserved", [&](const YAML::Node& q, const std::string& qp) {
      auto* r = s.add_reserved();
      r->set_institution_id(Get<std::string>(q, qp, "institution"));
      r->set_slots(Get<int>(q, qp, "slots"));
    });
    plan.sessions.push_back(std::move(s));
  });
  return plan;
}

}  // namespace

absl::StatusOr<ImportPlan> ParseImportText(const std::string& text) {
  try {
    return Parse(YAML::Load(text));
  } catch (const Bad& bad) {
    return absl::InvalidArgumentError(bad.message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML or JSON: ", e.what()));
  }
}

absl::StatusOr<ImportPlan> ParseImportFile(const std::string& path) {
  try {
    return Parse(YAML::LoadFile(path));
  } catch (const Bad& bad) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", bad.message));
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not YAML or JSON: ", e.what()));
  }
}

}  // namespace yilian::registry
