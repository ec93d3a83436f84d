using Microsoft.Playwright;

namespace Broadsheet.Tests.Infrastructure;

/// <summary>One headless Chromium (Debian's /usr/bin/chromium) for the whole test run; each test takes its own context.</summary>
public static class Browser
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    public static async Task<IBrowserContext> NewContextAsync(bool javaScript = true)
    {
        await Gate.WaitAsync();
        try
        {
            if (_browser is null)
            {
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = Environment.GetEnvironmentVariable("BROADSHEET_CHROMIUM") ?? "/usr/bin/chromium",
                    Headless = true,
                    Args =
                    [
                        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                        // The app under test listens on loopback; a real publisher's site and Broadsheet are both public,
                        // so Chromium's local-network checks (which block http pages from reaching loopback) do not apply.
                        "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights",
                    ],
                });
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    _browser.CloseAsync().GetAwaiter().GetResult();
                    _playwright.Dispose();
                };
            }
            return await _browser.NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = javaScript });
        }
        finally
        {
            Gate.Release();
        }
    }
}
