// esbuild bundles imported stylesheets into the CSS asset; to TypeScript they are modules with no exports.
declare module "*.css";
