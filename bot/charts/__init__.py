"""Race charts as PNG pictures: the data each chart shows, how it is drawn, and the service that caches them."""
