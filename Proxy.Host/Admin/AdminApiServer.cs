using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host.Admin;

/// <summary>
/// The admin HTTP API (Kestrel, minimal APIs) over the approval broker: approvers list pending requests and approve or
/// deny them with their bearer token: a configured approver's, or an OIDC access token when <c>Identity:Oidc</c> is
/// configured (approvers are then recognised by the token's name and groups claims). It also owns the approvals audit
/// log. The host and the tests build it the same way.
/// </summary>
public sealed partial class AdminApiServer : IHostedService, IAsyncDisposable
{
    /// <summary>Bodies are a scope and a window, or a reason; anything bigger is not a real request.</summary>
    private const long MaxBodyBytes = 16 * 1024;

    /// <summary>RFC 6750 §3.1: the token was presented and refused (expired, revoked, not for this API …).</summary>
    private const string InvalidTokenChallenge = "Bearer error=\"invalid_token\"";

    private readonly AdminOptions _options;
    private readonly ApprovalBroker _broker;
    private readonly ApproverAuthenticator _authenticator;
    private readonly bool _acceptsTokens;
    private readonly ApprovalAuditLog _audit;
    private readonly ILogger _logger;
    private readonly WebApplication _app;

    /// <param name="identity">Token validation and the revocation list; null: configured approver tokens only, none revoked.</param>
    public AdminApiServer(AdminOptions options, ApprovalBroker broker, ILoggerFactory loggerFactory, IdentityServices? identity = null)
    {
        _options = options;
        _broker = broker;
        _authenticator = new ApproverAuthenticator(options.Approvers, identity);
        _acceptsTokens = identity?.Tokens is not null;
        _audit = new ApprovalAuditLog(broker, loggerFactory.CreateLogger("HoopProxy.Approvals"));
        _logger = loggerFactory.CreateLogger("HoopProxy.Admin");
        EndPoint = options.Listen;

        // An empty builder: no configuration files, environment URLs or default middleware can change what listens where.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "hoopproxy-admin" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, InnerHostLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        _app = builder.Build();
        _app.MapGet("/v1/health", () => TypedResults.Json(new { status = "ok" }, AdminJson.Options));
        // Typed as a handler returning a result: a lambda of HttpContext alone would be taken for a RequestDelegate, its result discarded.
        _app.MapGet("/v1/approvals", (Func<HttpContext, Task<IResult>>)ListAsync);
        _app.MapPost("/v1/approvals/{id}/approve", (HttpContext http, string id) => ApproveAsync(http, id));
        _app.MapPost("/v1/approvals/{id}/deny", (HttpContext http, string id) => DenyAsync(http, id));
    }

    /// <summary>Where the API listens; after start, with the port the system chose when the configuration said 0.</summary>
    public IPEndPoint EndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        EndPoint = new IPEndPoint(_options.Listen.Address, new Uri(address).Port);
        LogListening(_logger, EndPoint.ToString(), _options.Approvers.Count, _acceptsTokens ? "and OIDC access tokens" : "only");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _audit.Dispose();
    }

    private async Task<IResult> ListAsync(HttpContext http)
    {
        var authentication = await AuthenticateAsync(http);
        if (authentication.Approver is not { } approver)
        {
            return Unauthorized(http, authentication);
        }

        // Configured approvers were each chosen for the job and see everything pending. Anyone the identity provider
        // issues a token to can call the API, so a token's bearer sees only what a rule names them (or a group of
        // theirs) for: statement text is not for the whole organisation.
        var visible = approver.Subject is null
            ? _broker.PendingRequests
            : _broker.PendingRequests.Where(r => ApprovalBroker.IsNamedApprover(r, approver)).ToList();
        return TypedResults.Json(visible.Select(ApprovalView.From).ToList(), AdminJson.Options);
    }

    private async Task<IResult> ApproveAsync(HttpContext http, string id)
    {
        var authentication = await AuthenticateAsync(http);
        if (authentication.Approver is not { } approver)
        {
            return Unauthorized(http, authentication);
        }

        var (body, problem) = await ReadBodyAsync<ApproveBody>(http);
        if (problem is not null)
        {
            return Error(StatusCodes.Status400BadRequest, problem);
        }

        var scopeText = body?.Scope;
        ApprovalScope scope;
        switch (scopeText?.ToLowerInvariant())
        {
            case null or "once":
                scope = ApprovalScope.Once;
                break;
            case "session":
                scope = ApprovalScope.Session;
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, $"scope '{scopeText}' is not once or session");
        }

        TimeSpan? window = null;
        if (body?.Window is { } text)
        {
            if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed))
            {
                return Error(StatusCodes.Status400BadRequest, $"window '{text}' is not a duration such as 00:10:00");
            }

            window = parsed;
        }

        // Silently ignoring the window would leave the approver believing it limits something.
        if (scope == ApprovalScope.Once && window is not null)
        {
            return Error(StatusCodes.Status400BadRequest, "a window only applies to scope session");
        }

        return Outcome(http, approver, "approve", id, _broker.Approve(id, approver, scope, window));
    }

    private async Task<IResult> DenyAsync(HttpContext http, string id)
    {
        var authentication = await AuthenticateAsync(http);
        if (authentication.Approver is not { } approver)
        {
            return Unauthorized(http, authentication);
        }

        var (body, problem) = await ReadBodyAsync<DenyBody>(http);
        if (problem is not null)
        {
            return Error(StatusCodes.Status400BadRequest, problem);
        }

        // The broker refuses an empty reason (Invalid → 400): the client is owed an explanation.
        return Outcome(http, approver, "deny", id, _broker.Deny(id, approver, body?.Reason ?? ""));
    }

    private ValueTask<ApproverAuthentication> AuthenticateAsync(HttpContext http) =>
        _authenticator.AuthenticateAsync(ApproverAuthenticator.BearerToken(http.Request.Headers.Authorization.ToString()), http.RequestAborted);

    /// <summary>401 with the reason the token was refused (expired, revoked, wrong audience …), which the CLI prints.</summary>
    private IResult Unauthorized(HttpContext http, ApproverAuthentication refused)
    {
        LogUnauthorized(_logger, http.Request.Method, http.Request.Path.ToString(), http.Connection.RemoteIpAddress?.ToString() ?? "?", refused.Refusal);
        // RFC 6750: a token that was presented and refused is an invalid_token; a missing or unknown one gets the bare challenge.
        http.Response.Headers.WWWAuthenticate = refused.InvalidToken ? InvalidTokenChallenge : "Bearer";
        return TypedResults.Json(new ErrorBody(refused.Refusal, refused.Code), AdminJson.Options, statusCode: StatusCodes.Status401Unauthorized);
    }

    private IResult Outcome(HttpContext http, ApproverIdentity approver, string action, string id, ApprovalActionResult result)
    {
        if (result.Applied)
        {
            return TypedResults.Json(new MessageBody(result.Message), AdminJson.Options);
        }

        // Decisions themselves reach the audit log through the broker; refusals never touch it, so they are logged here.
        LogRefused(_logger, approver.Name, action, id, result.Message);
        if (result.Error == ApprovalActionError.Revoked)
        {
            // Revoked after the token was accepted and before the broker decided: the token is no good, as on the next request.
            http.Response.Headers.WWWAuthenticate = InvalidTokenChallenge;
            return TypedResults.Json(new ErrorBody("the approver token was refused: " + result.Message, "token-revoked"), AdminJson.Options,
                statusCode: StatusCodes.Status401Unauthorized);
        }

        return Error(result.Error switch
        {
            ApprovalActionError.NotFound => StatusCodes.Status404NotFound,
            ApprovalActionError.Forbidden => StatusCodes.Status403Forbidden,
            ApprovalActionError.AlreadyDecided => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        }, result.Message);
    }

    private static IResult Error(int status, string message) => TypedResults.Json(new ErrorBody(message), AdminJson.Options, statusCode: status);

    /// <summary>An empty body is the defaults (null); malformed JSON or an unknown field is a problem to report.</summary>
    private static async Task<(T? Body, string? Problem)> ReadBodyAsync<T>(HttpContext http)
        where T : class
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        try
        {
            return (JsonSerializer.Deserialize<T>(text, AdminJson.StrictRequest), null);
        }
        catch (JsonException e)
        {
            return (null, $"the body is not valid JSON for this request: {e.Message}");
        }
    }

    /// <summary>
    /// The admin server runs inside the proxy's host, which alone answers Ctrl-C and SIGTERM and stops this server after
    /// the sessions have drained. The default console lifetime would stop the API at the first signal, while statements
    /// held for approval still wait for a decision.
    /// </summary>
    private sealed class InnerHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "admin API listening on http://{EndPoint} for {Approvers} configured approvers {Tokens}")]
    private static partial void LogListening(ILogger logger, string endPoint, int approvers, string tokens);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "admin API: {Approver} may not {Action} {Request}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string approver, string action, string request, string reason);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "admin API: {Method} {Path} from {Remote} without a valid approver token: {Reason}")]
    private static partial void LogUnauthorized(ILogger logger, string method, string path, string remote, string reason);
}
