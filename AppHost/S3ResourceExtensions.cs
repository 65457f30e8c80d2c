namespace AppHost;

/// <summary>Points a project at the local S3 store, when there is one, and starts it only once that store answers.</summary>
internal static class S3ResourceExtensions
{
    public static IResourceBuilder<ProjectResource> WithS3(
        this IResourceBuilder<ProjectResource> project, LocalS3Store? store, IResourceBuilder<ExecutableResource>? server)
    {
        if (store is null || server is null)
        {
            return project;
        }

        foreach (var (name, value) in store.Environment)
        {
            project.WithEnvironment(name, value);
        }

        return project.WaitFor(server);
    }
}
