"""The ДПП catalogue (каталог дополнительных профессиональных программ) of each region: its
programmes as values, the region's catalogue as an event-sourced aggregate, and the routes
suggested from a teacher's deficits out of it."""
