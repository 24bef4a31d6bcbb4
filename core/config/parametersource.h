#pragma once
// Raw lookup of one parameter by its snake_case name (docs/behaviour.md §2), highest precedence
// first, as the parameter table (parameters.h) says for that parameter:
//   1. the command-line flag (--access-key; names in `flags` are snake_case),
//   2. PARAMETER_<NAME>                      (Vela `parameters:`),
//   3. S3_CACHE_<NAME>, then CACHE_S3_<NAME>  (Vela `secrets:`),
//   4. the row's own variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//      AWS_REGION then AWS_DEFAULT_REGION, ... (skipped with AwsVariables::Exclude),
//   5. the files <velaRoot>/parameters/s3-cache/<name>, then <velaRoot>/secrets/s3-cache/<name>.
// Rows that are not Vela parameters (Parameter::vela false: org, repo) skip 2, 3 and 5.
// Values are trimmed; an empty value counts as unset. The Vela root is "/vela" unless given to
// the constructor or set with the environment variable S3CACHE_VELA_ROOT (tests use it).

#include "util/result.h"

#include <QMap>
#include <QProcessEnvironment>
#include <QString>

#include <optional>

namespace s3cache {

struct ParameterValue
{
    QString value;
    // Where it came from: "--access-key", "PARAMETER_ACCESS_KEY", "CACHE_S3_SECRET_KEY",
    // "AWS_REGION", "/vela/secrets/s3-cache/secret_key", "command line", "default".
    QString source;
};

enum class AwsVariables { Include, Exclude };

class ParameterSource
{
public:
    ParameterSource(QMap<QString, QString> flags, const QProcessEnvironment &env, QString velaRoot = {});

    // The value and its source, or std::nullopt when no source sets it; a Vela file that exists
    // but cannot be read is an ErrorKind::Io error naming the file. `name` must be a row of the
    // parameter table.
    Result<std::optional<ParameterValue>> find(const QString &name,
                                               AwsVariables aws = AwsVariables::Include) const;
    // As find(), for callers that only inspect: an unreadable Vela file counts as unset.
    std::optional<ParameterValue> get(const QString &name) const;

    const QProcessEnvironment &environment() const;
    const QString &velaRoot() const;

private:
    QMap<QString, QString> m_flags;
    QProcessEnvironment m_env;
    QString m_velaRoot;
};

} // namespace s3cache
