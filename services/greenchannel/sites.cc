#include "sites.h"

#include "absl/strings/str_cat.h"

namespace yilian::greenchannel {

namespace dgc = ::yilian::domain::greenchannel;
namespace rv1 = ::yilian::registry::v1;

absl::StatusOr<std::vector<dgc::Site>> SiteDirectory::Load(const std::string& consortium_id) const {
  std::set<std::string> leads;
  if (!consortium_id.empty()) {
    auto c = registry_->Consortium(consortium_id);
    if (!c.ok()) return c.status();
    if (!*c) return absl::NotFoundError(absl::StrCat("no consortium \"", consortium_id, "\""));
    leads.insert((*c)->consortium().lead_institution_id());
  } else {
    rv1::ListConsortiaRequest req;
    req.mutable_page()->set_page_size(500);
    do {
      auto page = registry_->ListConsortia(req);
      if (!page.ok()) return page.status();
      for (const auto& c : page->consortia()) leads.insert(c.consortium().lead_institution_id());
      req.mutable_page()->set_page_token(page->page().next_page_token());
    } while (!req.page().page_token().empty());
  }
  std::vector<dgc::Site> sites;
  rv1::ListInstitutionsRequest req;
  req.set_consortium_id(consortium_id);
  req.mutable_page()->set_page_size(500);
  do {
    auto page = registry_->ListInstitutions(req);
    if (!page.ok()) return page.status();
    for (const auto& i : page->institutions()) {
      dgc::Site s;
      s.institution = i.institution();
      s.leads_a_consortium = leads.count(i.institution().institution_id()) > 0;
      sites.push_back(std::move(s));
    }
    req.mutable_page()->set_page_token(page->page().next_page_token());
  } while (!req.page().page_token().empty());
  return sites;
}

absl::StatusOr<std::vector<dgc::Site>> SiteDirectory::Sites(const std::string& consortium_id,
                                                            const std::set<std::string>& exclude) const {
  std::vector<dgc::Site> sites;
  {
    const uint64_t gen = generation_.load();
    std::lock_guard lock(mu_);
    auto& cached = cache_[consortium_id];
    if (cached.generation != gen) {
      auto loaded = Load(consortium_id);
      if (!loaded.ok()) {
        cache_.erase(consortium_id);
        return loaded.status();
      }
      cached = {gen, std::move(*loaded)};
    }
    sites = cached.sites;
  }
  std::vector<dgc::Site> kept;
  for (auto& s : sites)
    if (!exclude.count(s.institution.institution_id())) kept.push_back(std::move(s));
  return kept;
}

}  // namespace yilian::greenchannel
