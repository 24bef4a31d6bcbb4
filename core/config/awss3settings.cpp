#include "awss3settings.h"

#include "awsconfigfile.h"
#include "resolver.h"
#include "valueparsers.h"

#include <QDir>
#include <QFileInfo>

namespace s3cache {

using namespace Qt::StringLiterals;

void AwsS3Settings::applyTo(EndpointOptions *options, QString *caBundleOut) const
{
    if (options->server.trimmed().isEmpty() && endpointUrl)
        options->server = endpointUrl->value;
    if (options->fallbackRegion.trimmed().isEmpty() && region) {
        options->fallbackRegion = region->value;
        options->fallbackRegionSource = region->source;
    }
    if (!options->pathStyle.has_value() && pathStyle.has_value())
        options->pathStyle = pathStyle;
    if (caBundleOut && caBundleOut->isEmpty() && caBundle)
        *caBundleOut = caBundle->value;
}

std::optional<ParameterValue> awsRegionVariable(const QProcessEnvironment &env)
{
    for (const QString &variable : {u"AWS_REGION"_s, u"AWS_DEFAULT_REGION"_s}) {
        const QString value = env.value(variable).trimmed();
        if (!value.isEmpty())
            return ParameterValue{value, variable};
    }
    return std::nullopt;
}

Result<AwsS3Settings> readAwsS3Settings(const QProcessEnvironment &env, const QString &homeDir)
{
    const Result<AwsConfigFiles> files = AwsConfigFiles::load(env, homeDir);
    if (!files.ok())
        return files.error();
    const std::optional<AwsProfile> profile = files->profile();
    const QString profileSource = profile ? u"profile %1 in %2"_s.arg(profile->name, profile->path) : QString();

    AwsS3Settings settings;
    settings.region = awsRegionVariable(env);
    if (!settings.region && profile && !profile->value("region").trimmed().isEmpty())
        settings.region = ParameterValue{profile->value("region").trimmed(), profileSource};

    // Whether configured endpoints are ignored: the variable when set, else the profile.
    bool ignore = false;
    const QString ignoreVariable = u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"_s;
    const QString ignoreText = env.value(ignoreVariable).trimmed();
    const QString ignoreProfile = profile ? profile->value("ignore_configured_endpoint_urls").trimmed() : QString();
    if (!ignoreText.isEmpty() || !ignoreProfile.isEmpty()) {
        const bool fromVariable = !ignoreText.isEmpty();
        const Result<bool> parsed = parseBool(fromVariable ? ignoreText : ignoreProfile);
        const QString source = fromVariable ? ignoreVariable : u"ignore_configured_endpoint_urls of "_s + profileSource;
        if (!parsed.ok())
            return invalidParameter(u"%1: %2"_s.arg(source, parsed.error().message()));
        ignore = *parsed;
        if (ignore)
            settings.endpointsIgnoredBy = source;
    }

    if (!ignore) {
        for (const QString &variable : {u"AWS_ENDPOINT_URL_S3"_s, u"AWS_ENDPOINT_URL"_s}) {
            const QString value = env.value(variable).trimmed();
            if (!value.isEmpty()) {
                settings.endpointUrl = ParameterValue{value, variable};
                break;
            }
        }
        if (!settings.endpointUrl && profile) {
            const QString servicesName = profile->value("services").trimmed();
            if (!servicesName.isEmpty()) {
                if (const std::optional<AwsIniSection> services = files->services(servicesName)) {
                    const QString url = services->nested.value(u"s3"_s).value(u"endpoint_url"_s).trimmed();
                    if (!url.isEmpty())
                        settings.endpointUrl = ParameterValue{
                            url, u"[services %1] of profile %2 in %3"_s.arg(servicesName, profile->name, files->configPath())};
                }
            }
        }
        if (!settings.endpointUrl && profile && !profile->value("endpoint_url").trimmed().isEmpty())
            settings.endpointUrl = ParameterValue{profile->value("endpoint_url").trimmed(), profileSource};
    }

    if (profile) {
        const QString style = profile->nestedValue("s3", "addressing_style").trimmed().toLower();
        settings.pathStyleSource = u"addressing_style of "_s + profileSource;
        if (style == u"path")
            settings.pathStyle = true;
        else if (style == u"virtual")
            settings.pathStyle = false;
        else if (!style.isEmpty() && style != u"auto")
            return invalidParameter(u"%1: '%2' is not path, virtual or auto"_s.arg(settings.pathStyleSource, style));
    }

    std::optional<ParameterValue> caBundle;
    if (const QString variable = env.value(u"AWS_CA_BUNDLE"_s).trimmed(); !variable.isEmpty())
        caBundle = ParameterValue{variable, u"AWS_CA_BUNDLE"_s};
    else if (profile && !profile->value("ca_bundle").trimmed().isEmpty())
        caBundle = ParameterValue{profile->value("ca_bundle").trimmed(), u"ca_bundle of "_s + profileSource};
    if (caBundle) {
        const QFileInfo info(QDir::current().absoluteFilePath(QDir::fromNativeSeparators(caBundle->value)));
        if (!info.isFile() || !info.isReadable())
            return invalidParameter(u"ca_bundle: '%1' (from %2) is not a readable file"_s.arg(caBundle->value, caBundle->source));
        settings.caBundle = ParameterValue{info.absoluteFilePath(), caBundle->source};
    }
    return settings;
}

} // namespace s3cache
