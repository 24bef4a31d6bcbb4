#include "credentialsources.h"

#include "stsclient.h"

#include "util/log.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QUrlQuery>

namespace s3cache {

namespace {

constexpr int maxStderrShown = 400;

Error configError(const QString &code, const QString &message)
{
    return Error(ErrorKind::InvalidInput, code, message);
}

bool httpAllowedHost(const QString &host)
{
    if (host == u"localhost")
        return true;
    const QHostAddress address(host);
    if (address.isNull())
        return false;
    return address.isLoopback() || address == QHostAddress(QStringLiteral("169.254.170.2"))
        || address == QHostAddress(QStringLiteral("169.254.170.23")) || address == QHostAddress(QStringLiteral("fd00:ec2::23"));
}

} // namespace

QString ContainerCredentialsSettings::link() const
{
    return QStringLiteral("container credentials (%1)").arg(variable);
}

Result<std::optional<ContainerCredentialsSettings>> containerCredentialsSettings(const QProcessEnvironment &env,
                                                                                const QString &caBundlePath)
{
    const auto variable = [&env](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    ContainerCredentialsSettings settings;
    settings.caBundlePath = caBundlePath;
    settings.tokenFile = variable("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    settings.token = variable("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    Log::registerSecret(settings.token);
    const QString relative = variable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const QString full = variable("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative.isEmpty()) {
        settings.variable = QStringLiteral("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        settings.url = QUrl(QStringLiteral("http://169.254.170.2") + (relative.startsWith(u'/') ? QString() : QStringLiteral("/"))
                            + relative);
    } else if (!full.isEmpty()) {
        settings.variable = QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        settings.url = QUrl(full, QUrl::StrictMode);
    } else {
        return std::optional<ContainerCredentialsSettings>();
    }
    if (!settings.url.isValid() || settings.url.host().isEmpty()
        || (settings.url.scheme() != u"http" && settings.url.scheme() != u"https"))
        return configError(QStringLiteral("ContainerCredentialsUri"),
                           QStringLiteral("%1: '%2' is not an http(s) URL").arg(settings.link(), settings.url.toString()));
    if (settings.url.scheme() == u"http" && !httpAllowedHost(settings.url.host()))
        return configError(QStringLiteral("ContainerCredentialsUri"),
                           QStringLiteral("%1: http is allowed only to loopback, 169.254.170.2, 169.254.170.23 and "
                                          "fd00:ec2::23, not to %2 (use https)")
                               .arg(settings.link(), settings.url.host()));
    return std::optional<ContainerCredentialsSettings>(settings);
}

Result<Credentials> fetchContainerCredentials(const ContainerCredentialsSettings &settings)
{
    const QString link = settings.link();
    QString token = settings.token;
    if (!settings.tokenFile.isEmpty()) {
        QFile file(settings.tokenFile);
        if (!file.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("ContainerTokenFile"),
                         QStringLiteral("%1: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %2: %3")
                             .arg(link, settings.tokenFile, file.errorString()));
        token = QString::fromUtf8(file.readAll()).trimmed();
        Log::registerSecret(token);
    }
    HeaderList headers{{QByteArrayLiteral("accept"), QByteArrayLiteral("application/json")}};
    if (!token.isEmpty()) {
        if (token.contains(u'\r') || token.contains(u'\n'))
            return configError(QStringLiteral("ContainerToken"),
                               QStringLiteral("%1: the authorization token contains a line break").arg(link));
        headers.append({QByteArrayLiteral("authorization"), token.toUtf8()});
    }
    QueryItems query;
    for (const auto &[name, value] : QUrlQuery(settings.url).queryItems(QUrl::FullyDecoded))
        query.append({name, value});
    S3Request request = S3Request::serviceGet(QStringLiteral("container credentials GET"),
                                              settings.url.path(QUrl::FullyDecoded), query, headers);
    request.credentials = Credentials();
    const Result<QByteArray> body = sendCredentialRequest(settings.url, QStringLiteral("us-east-1"),
                                                          settings.caBundlePath, std::move(request));
    if (!body.ok()) {
        Error error = body.error().withContext(link);
        if (error.httpStatus() == 401 || error.httpStatus() == 403)
            error.setHint(QStringLiteral("the endpoint refused the authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                                         "or AWS_CONTAINER_AUTHORIZATION_TOKEN)"));
        return error;
    }
    return parseCredentialsJson(*body, false, link);
}

Result<Credentials> parseCredentialsJson(const QByteArray &json, bool processFormat, const QString &link)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    const QJsonObject object = doc.object();
    Credentials credentials;
    credentials.accessKey = object.value(QLatin1String("AccessKeyId")).toString();
    credentials.secretKey = object.value(QLatin1String("SecretAccessKey")).toString();
    credentials.sessionToken = object.value(QLatin1String(processFormat ? "SessionToken" : "Token")).toString();
    Log::registerSecret(credentials.secretKey);
    Log::registerSecret(credentials.sessionToken);
    const auto malformed = [&link](const QString &what) {
        return Error(ErrorKind::Server, QStringLiteral("MalformedCredentials"), QStringLiteral("%1: %2").arg(link, what));
    };
    if (!doc.isObject())
        return malformed(QStringLiteral("the answer is not a JSON object (%1)").arg(parseError.errorString()));
    if (processFormat && object.value(QLatin1String("Version")).toInt(0) != 1)
        return malformed(QStringLiteral("the JSON has no \"Version\": 1 (only version 1 is defined)"));
    if (credentials.accessKey.isEmpty() || credentials.secretKey.isEmpty())
        return malformed(QStringLiteral("the JSON lacks AccessKeyId or SecretAccessKey"));
    const QString expiration = object.value(QLatin1String("Expiration")).toString();
    if (!expiration.isEmpty()) {
        credentials.expiration = parseAwsTime(expiration);
        if (!credentials.expiration.isValid())
            return malformed(QStringLiteral("Expiration '%1' is not an ISO 8601 time").arg(expiration));
    }
    return credentials;
}

Result<QStringList> splitCommandLine(const QString &commandLine)
{
    QStringList words;
    QString word;
    bool inWord = false;
    enum { None, Single, Double } quote = None;
    for (qsizetype i = 0; i < commandLine.size(); ++i) {
        const QChar c = commandLine.at(i);
        if (quote == Single) {
            if (c == u'\'')
                quote = None;
            else
                word += c;
        } else if (quote == Double) {
            if (c == u'"') {
                quote = None;
            } else if (c == u'\\' && i + 1 < commandLine.size()
                       && QStringLiteral("\\\"$`\n").contains(commandLine.at(i + 1))) {
                word += commandLine.at(++i);
            } else {
                word += c;
            }
        } else if (c.isSpace()) {
            if (inWord)
                words << std::exchange(word, QString());
            inWord = false;
        } else {
            inWord = true;
            if (c == u'\'')
                quote = Single;
            else if (c == u'"')
                quote = Double;
            else if (c == u'\\' && i + 1 < commandLine.size())
                word += commandLine.at(++i);
            else
                word += c;
        }
    }
    if (quote != None)
        return configError(QStringLiteral("CredentialProcess"), QStringLiteral("unterminated %1 quote")
                                                                    .arg(quote == Single ? QStringLiteral("'") : QStringLiteral("\"")));
    if (inWord)
        words << word;
    if (words.isEmpty())
        return configError(QStringLiteral("CredentialProcess"), QStringLiteral("empty command"));
    return words;
}

Result<Credentials> runCredentialProcess(const QString &commandLine, const QProcessEnvironment &env,
                                         const QString &link, int timeoutMs)
{
    const Result<QStringList> words = splitCommandLine(commandLine);
    if (!words.ok())
        return words.error().withContext(link);
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(words->constFirst(), words->mid(1));
    const auto fail = [&link](const QString &code, const QString &what) {
        return Error(ErrorKind::Auth, code, QStringLiteral("%1: %2").arg(link, what));
    };
    if (!process.waitForStarted(timeoutMs))
        return fail(QStringLiteral("CredentialProcess"), QStringLiteral("cannot run %1: %2")
                                                             .arg(words->constFirst(), process.errorString()));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5'000);
        return fail(QStringLiteral("CredentialProcessTimeout"),
                    QStringLiteral("%1 did not finish within %2 s").arg(words->constFirst(), QString::number(timeoutMs / 1000.0)));
    }
    const QByteArray out = process.readAllStandardOutput();
    // Register whatever key material it printed before its stderr can appear in a message.
    Result<Credentials> parsed = parseCredentialsJson(out, true, link);
    QString stderrText = Log::printable(Log::mask(QString::fromUtf8(process.readAllStandardError()).trimmed()));
    if (stderrText.size() > maxStderrShown)
        stderrText = stderrText.left(maxStderrShown) + QStringLiteral("...");
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        const QString how = process.exitStatus() != QProcess::NormalExit
            ? QStringLiteral("crashed")
            : QStringLiteral("exited with code %1").arg(process.exitCode());
        return fail(QStringLiteral("CredentialProcessFailed"),
                    QStringLiteral("%1 %2%3").arg(words->constFirst(), how,
                                                   stderrText.isEmpty() ? QString() : QStringLiteral(": ") + stderrText));
    }
    if (!parsed.ok())
        return parsed.error();
    return parsed;
}

} // namespace s3cache
