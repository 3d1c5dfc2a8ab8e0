using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Configuration;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Sessions;

namespace HoopProxy.Host.Admin;

/// <summary>
/// <c>hoopproxy approvals list|approve|deny</c>: an approver's side of statement approval, through the running proxy's admin
/// API. Exit codes: 0 done; 1 the API refused (not found, not an approver, own request, already decided, invalid);
/// 2 usage, configuration, token or connection problem — something to fix on the caller's side before trying again.
/// </summary>
public static class ApprovalsCommand
{
    public const string TokenVariable = "HOOPPROXY_TOKEN";

    private const int StatementColumnLength = 60;

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The proxy's configuration file (its Admin:Listen says where the API is)", Required = true };
        var token = new Option<string?>("--token")
        {
            Description = $"The approver's bearer token (a configured approver's, or an OIDC access token); defaults to the {TokenVariable} environment variable (preferable: a command line is visible to other users)",
        };

        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var list = new Command("list", "List the requests waiting for a decision") { config, token, json };
        list.SetAction((parse, cancellationToken) => RunAsync(parse.GetRequiredValue(config), parse.GetValue(token),
            client => ListAsync(client, parse.GetValue(json), cancellationToken), cancellationToken));

        var approveId = new Argument<string>("id") { Description = "The request, as the client's notice names it (apr-…)" };
        var scope = new Option<string>("--scope")
        {
            Description = "once: only the statement held; session: the same statement in the same session runs without asking until the window ends",
            DefaultValueFactory = _ => "once",
        };
        scope.AcceptOnlyFromAmong("once", "session");
        var window = new Option<string?>("--window") { Description = "With --scope session: how long it holds, hh:mm:ss (at most 12:00:00)" };
        var approve = new Command("approve", "Let a held statement run") { config, token, approveId, scope, window };
        approve.SetAction((parse, cancellationToken) => RunAsync(parse.GetRequiredValue(config), parse.GetValue(token),
            client => DecideAsync(client, $"v1/approvals/{Uri.EscapeDataString(parse.GetRequiredValue(approveId))}/approve",
                new ApproveBody(parse.GetValue(scope), parse.GetValue(window)), cancellationToken), cancellationToken));

        var denyId = new Argument<string>("id") { Description = "The request, as the client's notice names it (apr-…)" };
        var reason = new Option<string>("--reason") { Description = "Why; the client sees it as the detail of its error", Required = true };
        var deny = new Command("deny", "Refuse a held statement; the client gets an error with the reason") { config, token, denyId, reason };
        deny.SetAction((parse, cancellationToken) => RunAsync(parse.GetRequiredValue(config), parse.GetValue(token),
            client => DecideAsync(client, $"v1/approvals/{Uri.EscapeDataString(parse.GetRequiredValue(denyId))}/deny",
                new DenyBody(parse.GetRequiredValue(reason)), cancellationToken), cancellationToken));

        return new Command("approvals", "Decide statements held for approval, through the running proxy's admin API") { list, approve, deny };
    }

    private static async Task<int> RunAsync(FileInfo configFile, string? tokenOption, Func<AdminApiClient, Task<int>> action, CancellationToken cancellationToken)
    {
        IPEndPoint listen;
        try
        {
            if (ProxyConfiguration.Load(configFile.FullName).Admin is not { } admin)
            {
                await Console.Error.WriteLineAsync("configuration error: Admin: the configuration has no Admin section, so the proxy runs no admin API");
                return 2;
            }

            listen = admin.Listen;
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }

        if (listen.Port == 0)
        {
            await Console.Error.WriteLineAsync("configuration error: Admin:Listen: port 0 lets the proxy pick a port at start; the CLI needs to know the port");
            return 2;
        }

        var token = tokenOption ?? Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            await Console.Error.WriteLineAsync($"no approver token: pass --token or set {TokenVariable}");
            return 2;
        }

        using var client = new AdminApiClient(listen, token);
        try
        {
            return await action(client);
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"cannot reach the admin API at {client.Address}: {Describe(e)} — is the proxy running with an Admin section?");
            return 2;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"the admin API at {client.Address} did not answer within {AdminApiClient.RequestTimeout.TotalSeconds:0} s");
            return 2;
        }
        catch (FormatException)
        {
            // HttpClient validates header values when it sends them.
            await Console.Error.WriteLineAsync("the token contains characters that cannot go into an HTTP header");
            return 2;
        }
    }

    private static string Describe(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException socket => socket.Message,
        _ => e.Message,
    };

    private static async Task<int> ListAsync(AdminApiClient client, bool asJson, CancellationToken cancellationToken)
    {
        var response = await client.GetAsync("v1/approvals", cancellationToken);
        if (!response.IsSuccess)
        {
            return await RefusedAsync(response);
        }

        if (asJson)
        {
            Console.WriteLine(JsonNode.Parse(response.Body)?.ToJsonString(AdminJson.Indented) ?? "[]");
            return 0;
        }

        var requests = JsonSerializer.Deserialize<List<ApprovalView>>(response.Body, AdminJson.Options) ?? [];
        if (requests.Count == 0)
        {
            Console.WriteLine("no requests are waiting for a decision");
            return 0;
        }

        var now = DateTimeOffset.UtcNow;
        string[] header = ["ID", "AGE", "REQUESTER", "TARGET", "RULE", "STATEMENT"];
        var rows = requests.Select(r => (IReadOnlyList<string>)
        [
            r.Id,
            Age(now - r.RequestedAt),
            r.Requester,
            r.Target,
            r.Rule,
            StatementText.Shorten(r.Statement, StatementColumnLength),
        ]).ToList();
        TextTable.Write(Console.Out, header, rows);
        return 0;
    }

    private static async Task<int> DecideAsync<T>(AdminApiClient client, string path, T body, CancellationToken cancellationToken)
    {
        var response = await client.PostAsync(path, body, cancellationToken);
        if (!response.IsSuccess)
        {
            return await RefusedAsync(response);
        }

        Console.WriteLine(JsonSerializer.Deserialize<MessageBody>(response.Body, AdminJson.Options)?.Message ?? "done");
        return 0;
    }

    /// <summary>
    /// A rejected token is exit 2 like a bad configuration: the caller must fix their own setup, and scripts can tell it
    /// from a decision the server refused (exit 1).
    /// </summary>
    private static async Task<int> RefusedAsync(AdminResponse response)
    {
        if (response.Status == HttpStatusCode.Unauthorized)
        {
            // The server's reason (expired, revoked, wrong audience …) tells the approver whether a fresh token will do.
            await Console.Error.WriteLineAsync($"the admin API did not accept the token (HTTP 401): {response.ErrorMessage}; check --token or {TokenVariable}");
            return 2;
        }

        await Console.Error.WriteLineAsync($"refused (HTTP {(int)response.Status}): {response.ErrorMessage}");
        return 1;
    }

    private static string Age(TimeSpan age)
    {
        age = age < TimeSpan.Zero ? TimeSpan.Zero : age;
        return age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m{age.Seconds.ToString("00", CultureInfo.InvariantCulture)}s"
            : $"{(int)age.TotalHours}h{age.Minutes.ToString("00", CultureInfo.InvariantCulture)}m";
    }
}
