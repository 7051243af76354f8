#include "commands/command_table.h"

#include "commands/acl_commands.h"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace kv {

namespace {
// Lower-cases into a stack buffer: the lookup runs for every request, so no allocation.
std::string_view LowerInto(std::string_view s, char* buf, size_t cap) {
  if (s.size() > cap) return {};
  for (size_t i = 0; i < s.size(); ++i)
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  return {buf, s.size()};
}
}  // namespace

void CommandSpec::KeyPositions(std::span<const std::string_view> args,
                               std::vector<size_t>* out) const {
  out->clear();
  if (find_keys) return find_keys(args, out);
  const size_t argc = args.size();
  if (first_key <= 0) return;
  const long last = last_key < 0 ? static_cast<long>(argc) + last_key : last_key;
  const long step = key_step > 0 ? key_step : 1;
  for (long i = first_key; i <= last && i < static_cast<long>(argc); i += step)
    out->push_back(static_cast<size_t>(i));
}

CommandSpec MakeSpec(std::string name, int arity, uint32_t flags, KeyRange keys,
                     CommandHandler handler, std::string group, std::string since,
                     std::string summary, std::string syntax) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.first_key = keys.first;
  s.last_key = keys.last;
  s.key_step = keys.step;
  s.handler = handler;
  s.group = std::move(group);
  s.since = std::move(since);
  s.summary = std::move(summary);
  s.syntax = std::move(syntax);
  return s;
}

bool CommandTable::Register(CommandSpec spec) {
  std::transform(spec.name.begin(), spec.name.end(), spec.name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  spec.acl_categories |= DeriveAclCategories(spec);
  std::unique_lock lock(mu_);
  if (index_.count(spec.name)) return false;
  spec.id = static_cast<uint32_t>(storage_.size());
  storage_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  index_.emplace(storage_.back()->name, storage_.back().get());
  return true;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  const std::string_view lower = LowerInto(name, buf, sizeof buf);
  if (lower.empty()) return nullptr;
  std::shared_lock lock(mu_);
  auto it = index_.find(lower);
  return it == index_.end() ? nullptr : it->second;
}

bool CommandTable::SetDocs(std::string_view name, std::string_view module, std::string summary,
                           std::string syntax) {
  char buf[64];
  const std::string_view lower = LowerInto(name, buf, sizeof buf);
  std::unique_lock lock(mu_);
  auto it = index_.find(lower);
  if (it == index_.end() || it->second->module != module) return false;
  // Specs are only ever mutated here, under the exclusive lock; readers hold the shared one.
  auto* spec = const_cast<CommandSpec*>(it->second);
  spec->summary = std::move(summary);
  spec->syntax = std::move(syntax);
  return true;
}

size_t CommandTable::RemoveModule(std::string_view module) {
  std::unique_lock lock(mu_);
  return std::erase_if(index_, [&](const auto& kv) { return kv.second->module == module; });
}

std::vector<const CommandSpec*> CommandTable::All() const {
  std::vector<const CommandSpec*> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, spec] : index_) out.push_back(spec);
  }
  std::sort(out.begin(), out.end(),
            [](const CommandSpec* a, const CommandSpec* b) { return a->name < b->name; });
  return out;
}

size_t CommandTable::size() const {
  std::shared_lock lock(mu_);
  return index_.size();
}

std::vector<const CommandSpec*> CommandTable::Public() const {
  std::vector<const CommandSpec*> out = All();
  std::erase_if(out, [](const CommandSpec* s) { return s->has(kCmdInternal); });
  return out;
}

const CommandSpec* CommandTable::FindPublic(std::string_view name) const {
  const CommandSpec* s = Find(name);
  return s && !s->has(kCmdInternal) ? s : nullptr;
}

}  // namespace kv
