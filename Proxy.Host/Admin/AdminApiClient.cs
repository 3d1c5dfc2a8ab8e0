using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace HoopProxy.Host.Admin;

/// <summary>The CLI's side of the admin API: one approver's token, one proxy, plain HTTP on the configured address.</summary>
public sealed class AdminApiClient : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;

    public AdminApiClient(IPEndPoint listen, string token)
    {
        Address = Reachable(listen).ToString();
        _http = new HttpClient { BaseAddress = new Uri($"http://{Address}/"), Timeout = RequestTimeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>host:port as the CLI dials it, for messages.</summary>
    public string Address { get; }

    public async Task<AdminResponse> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        return await AdminResponse.ReadAsync(response, cancellationToken);
    }

    public async Task<AdminResponse> PostAsync<T>(string path, T body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(path, body, AdminJson.Options, cancellationToken);
        return await AdminResponse.ReadAsync(response, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A proxy listening on every address (AllowRemote) is reached on this machine through loopback.</summary>
    private static IPEndPoint Reachable(IPEndPoint listen) =>
        listen.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, listen.Port)
        : listen.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, listen.Port)
        : listen;
}

/// <summary>What the admin API answered: the status and the body, with the server's own error message when it refused.</summary>
public sealed record AdminResponse(HttpStatusCode Status, string Body)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The <c>error</c> field of a refusal, or the status when the body has none.</summary>
    public string ErrorMessage
    {
        get
        {
            try
            {
                if (JsonSerializer.Deserialize<ErrorBody>(Body, AdminJson.Options) is { Error: { Length: > 0 } error })
                {
                    return error;
                }
            }
            catch (JsonException)
            {
                // Not the API's JSON (a proxy in between, a crash page): the status says enough.
            }

            return $"HTTP {(int)Status} {Status}";
        }
    }

    public static async Task<AdminResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        new(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
}
