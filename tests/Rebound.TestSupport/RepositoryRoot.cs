namespace Rebound.TestSupport;

/// <summary>Finds the checkout the tests were built from (the folder holding Rebound.slnx).</summary>
public static class RepositoryRoot
{
    public static string Path
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Rebound.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Rebound.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}
